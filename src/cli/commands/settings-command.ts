import type { Environments } from '../../app/environments.js';
import { SETTING_KEYS, type WorkspaceSettings } from '../../core/environments.js';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import { printable } from '../format.js';

/**
 * `stepflow settings show|set|unset` (docs/WORKSPACE-ENVIRONMENTS.md), on the data dir or
 * database through the application layer, as `stepflow users` is. Keys: `pythonIndexUrl`,
 * `pythonExtraIndexUrls` and `pythonTrustedHosts` (comma-separated), `env.NAME`.
 */
export async function settingsShowCommand(
  environments: Environments,
  options: { json?: boolean },
): Promise<number> {
  const settings = await environments.settings();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(settings, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `pythonIndexUrl        ${settings.pythonIndexUrl ?? '(pip default)'}`,
    `pythonExtraIndexUrls  ${settings.pythonExtraIndexUrls.join(',') || '-'}`,
    `pythonTrustedHosts    ${settings.pythonTrustedHosts.join(',') || '-'}`,
    ...Object.entries(settings.env).map(([name, value]) => `env.${name}=${printable(value)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

export async function settingsSetCommand(
  environments: Environments,
  key: string,
  value: string | undefined,
): Promise<number> {
  const current = await environments.settings();
  await environments.updateSettings(changeOf(current, key, value));
  process.stdout.write(value === undefined ? `unset ${key}\n` : `set ${key}\n`);
  return 0;
}

/** The change `set KEY VALUE` (or `unset KEY`, value undefined) makes. */
function changeOf(
  current: WorkspaceSettings,
  key: string,
  value: string | undefined,
): Partial<WorkspaceSettings> {
  if (key.startsWith('env.')) {
    const { [key.slice(4)]: _dropped, ...others } = current.env;
    return { env: value === undefined ? others : { ...others, [key.slice(4)]: value } };
  }
  const list = (text: string | undefined): string[] =>
    (text ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  switch (key) {
    case 'pythonIndexUrl':
      return { pythonIndexUrl: value ?? null };
    case 'pythonExtraIndexUrls':
      return { pythonExtraIndexUrls: list(value) };
    case 'pythonTrustedHosts':
      return { pythonTrustedHosts: list(value) };
    default:
      throw new StepflowError(
        ERROR_CODES.USAGE,
        `unknown setting ${JSON.stringify(key)}: use ${SETTING_KEYS.join(', ')} or env.NAME`,
      );
  }
}
