/**
 * Collects reader and decoder problems without flooding: one line per kind of problem, with how
 * many records had it and the first one that did. Only unusual records ever reach this.
 */
export class WarningLog {
  private readonly kinds = new Map<string, { count: number; first: string }>();
  private readonly order: string[] = [];

  add(kind: string, firstDetail: string): void {
    const seen = this.kinds.get(kind);
    if (seen) {
      seen.count++;
      return;
    }
    this.kinds.set(kind, { count: 1, first: firstDetail });
    this.order.push(kind);
  }

  list(): string[] {
    return this.order.map((kind) => {
      const { count, first } = this.kinds.get(kind)!;
      return count === 1 ? `${kind}: ${first}` : `${kind} (${count} records; first: ${first})`;
    });
  }
}
