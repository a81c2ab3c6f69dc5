// One LISTEN connection that keeps itself up: its own client (not the pool's), checked
// every DB_LISTEN_CHECK_MS (listen-check.ts), and made again a second after it fails for
// as long as its owner still wants it. The access caches (lib/cache/access-cache.ts) and
// the round-event streams (lib/rounds/round-listener.ts) each hold one; what a lost
// connection means (a change may have gone unheard) is theirs to act on, in `onLost`.
import pg from "pg";
import { checkListenConnection, listenConnectionConfig } from "./listen-check";

const RECONNECT_MS = 1_000;

export type ListenOptions = {
  channel: string;
  /** shown in pg_stat_activity */
  name: string;
  onNotification: (msg: pg.Notification) => void;
  /** after the connection failed or went silent; `why` is set when there is something to log */
  onLost: (why?: string) => void;
  /** asked after a loss: whether to connect again */
  keepTrying: () => boolean;
};

export class ListenConnection {
  private client: pg.Client | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private stopCheck: (() => void) | null = null;
  private up = false;

  constructor(private readonly opts: ListenOptions) {}

  /** true from the LISTEN's acknowledgement until the connection fails or is stopped */
  get listening(): boolean {
    return this.up;
  }

  /** true while a connection is open or being made */
  get open(): boolean {
    return this.client !== null;
  }

  /** Connects and listens, unless a connection is already open or being made (or there is no DATABASE_URL). */
  start(): void {
    const url = process.env.DATABASE_URL;
    if (this.client || !url) return;
    const client = new pg.Client(listenConnectionConfig(this.opts.name, url));
    this.client = client;
    client.on("notification", this.opts.onNotification);
    client.on("error", (err) => this.lost(client, `failed: ${err.message}`));
    client.on("end", () => this.lost(client));
    client
      .connect()
      .then(() => client.query(`listen ${this.opts.channel}`))
      .then(() => {
        if (this.client !== client) return;
        this.up = true;
        this.stopCheck = checkListenConnection(client, (why) => this.lost(client, `lost (${why})`));
      })
      .catch(() => this.lost(client));
  }

  /** Ends the connection and any pending reconnect; start() opens it again. */
  async stop(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const client = this.detach();
    await client?.end().catch(() => {});
  }

  private lost(client: pg.Client, why?: string): void {
    if (this.client !== client) return;
    this.detach();
    client.end().catch(() => {});
    this.opts.onLost(why);
    if (this.opts.keepTrying() && !this.retry) this.retry = setTimeout(() => ((this.retry = null), this.start()), RECONNECT_MS);
  }

  private detach(): pg.Client | null {
    const client = this.client;
    this.client = null;
    this.up = false;
    this.stopCheck?.();
    this.stopCheck = null;
    return client;
  }
}
