import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** Who may sign in at the test provider: its login form takes any name (and any password). */
interface TestAccount {
  /** `preferred_username`; the login typed when unset. `sub` is always the login. */
  name?: string;
  groups?: string[];
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>` */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The accounts by login; change them between sign-ins (a rename, a group change). */
  accounts: Map<string, TestAccount>;
  /** `STEPFLOW_OIDC_*` for a StepFlow server using this provider, plus `extra`. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Starts answering, with StepFlow servers' callbacks registered as the client's redirect URIs. */
  serve(redirectUris: string[]): void;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1, port 0, with its development login and
 * consent pages. It listens before it is configured: StepFlow needs the issuer to start, and the
 * provider needs StepFlow's callback URL (known once StepFlow listens) to register the client.
 */
export async function startOidcProvider(): Promise<TestOidcProvider> {
  let handler: http.RequestListener | undefined;
  const server = http.createServer((request, response) => {
    if (handler === undefined) {
      response.writeHead(503).end('not configured yet');
      return;
    }
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'stepflow-test';
  const clientSecret = 'a-test-client-secret-of-some-length';
  const accounts = new Map<string, TestAccount>();
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    env: (extra = {}) => ({
      STEPFLOW_OIDC_ISSUER: issuer,
      STEPFLOW_OIDC_CLIENT_ID: clientId,
      STEPFLOW_OIDC_CLIENT_SECRET: clientSecret,
      STEPFLOW_OIDC_SCOPES: 'openid profile groups',
      ...extra,
    }),
    serve(redirectUris) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: redirectUris,
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        findAccount: (_context, id) => ({
          accountId: id,
          claims: () => ({
            sub: id,
            preferred_username: accounts.get(id)?.name ?? id,
            groups: accounts.get(id)?.groups ?? [],
          }),
        }),
        claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
        cookies: { keys: ['a-test-cookie-key'] },
        features: { devInteractions: { enabled: true } },
        pkce: { required: () => true },
        // Set, so the provider does not print a notice for each default.
        ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
        jwks: { keys: [signingKey] },
      });
      handler = provider.callback();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
