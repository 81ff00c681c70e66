export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  port: number;
  dir: string;
  stop(): void;
}
/** A throwaway PostgreSQL server in a temp dir on a free loopback port (see the .js file). */
export function startPostgresCluster(options?: {
  durable?: boolean;
  settings?: string[];
}): Promise<PostgresCluster>;
