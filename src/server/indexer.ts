import { type Db, indexSessionFlows, sessionsToIndex } from '../storage/index.js';

/**
 * Builds the flow indexes of completed sessions one at a time, after their ingest has finished
 * (so an upload completes as soon as its rows are in) and at start-up for sessions loaded by
 * another process. Until a session is indexed its flows still answer, only more slowly.
 */
export class FlowIndexer {
  private chain: Promise<void> = Promise.resolve();
  private readonly pending = new Set<string>();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly onError: (sessionId: string, err: Error) => void,
  ) {}

  add(sessionId: string): void {
    if (this.closed || this.pending.has(sessionId)) return;
    this.pending.add(sessionId);
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      try {
        await indexSessionFlows(this.db, sessionId);
      } catch (err) {
        // A session deleted meanwhile has nothing left to index.
        if (!/does not exist/.test((err as Error).message)) this.onError(sessionId, err as Error);
      } finally {
        this.pending.delete(sessionId);
      }
    });
  }

  async addUnindexed(): Promise<void> {
    for (const id of await sessionsToIndex(this.db)) this.add(id);
  }

  idle(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
  }
}
