/**
 * The ranges inputs are checked against at the edge: the API's schemas (and so its OpenAPI
 * document), the job validator and the CLI read them from here, so the three and docs/JOBS.md agree.
 * Each is far above what a real run, job or script needs and far below what breaks a timer, a Date
 * or the OS (a NUL byte or a 2 MiB argument cannot reach execve; a fire time past year 275760 is no
 * Date). Lengths are in UTF-16 code units, as JSON Schema and JavaScript count them.
 */

const DAY_SECONDS = 86_400;

/** Seconds, for timeouts and running-late warnings: 30 days. */
export const MAX_TIMEOUT_SECONDS = 30 * DAY_SECONDS;
/** An interval trigger: at least a second (a scheduler is not a busy loop), at most 366 days. */
export const MIN_INTERVAL_SECONDS = 1;
export const MAX_INTERVAL_SECONDS = 366 * DAY_SECONDS;
/** Before a retry: at most 7 days (the default cap is 600 s). */
export const MAX_RETRY_DELAY_SECONDS = 7 * DAY_SECONDS;
export const MAX_RETRY_BACKOFF_FACTOR = 100;
export const MAX_RETRY_ATTEMPTS = 100;
/** Exit codes are 0 to 255 on every POSIX system. */
export const MAX_EXIT_CODE = 255;
export const MAX_TRIGGERS = 20;
export const MAX_WEBHOOKS = 20;
export const MAX_WEBHOOK_ATTEMPTS = 20;
export const MIN_WEBHOOK_BACKOFF_SECONDS = 0.1;
export const MAX_WEBHOOK_BACKOFF_SECONDS = 3600;
export const MAX_CONCURRENT_RUNS = 1000;

/** A shell command: 64 Ki (Linux takes at most 128 KiB in one argument). */
export const MAX_COMMAND_LENGTH = 65_536;
/** One argv item or env value: 128 Ki, Linux's limit for one string passed to a program. */
export const MAX_ARG_LENGTH = 131_072;
export const MAX_ARGV_ITEMS = 10_000;
/** A path, as PATH_MAX. */
export const MAX_PATH_LENGTH = 4096;
export const MAX_ENV_VARIABLES = 1000;
export const MAX_ENV_NAME_LENGTH = 256;
export const MAX_TAGS = 100;
export const MAX_TAG_KEY_LENGTH = 200;
export const MAX_TAG_VALUE_LENGTH = 1000;
export const MAX_EXECUTION_NAME_LENGTH = 500;
export const MAX_JOB_NAME_LENGTH = 200;
export const MAX_URL_LENGTH = 2048;
export const MAX_SECRET_LENGTH = 1024;
/** A cron expression, a time zone name, an ISO date-time, a cursor: short by nature. */
export const MAX_SHORT_TEXT_LENGTH = 256;
/** A search or filter string in a query. */
export const MAX_QUERY_TEXT_LENGTH = 1000;

/** Counts, sequence numbers, byte sizes, durations in ms: whole numbers JavaScript holds exactly. */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;
/** Epoch milliseconds: the last instant a JavaScript Date can hold (year 275760). */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;
/** Ids of steps, artifacts, annotations; process ids; line and column numbers. */
export const MAX_INT32 = 2_147_483_647;
