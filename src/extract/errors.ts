/** A selection that cannot be extracted as given (a bad address, time or protocol); says why in one line. */
export class SelectionError extends Error {
  override name = 'SelectionError';
}

/**
 * The capture file is not the one the caller described (another size or modification time, or gone):
 * extraction refuses rather than return packets of a different file. One line, naming the file.
 */
export class CaptureChangedError extends Error {
  override name = 'CaptureChangedError';
}

/** The output was closed or failed before every packet was written. */
export class OutputClosedError extends Error {
  override name = 'OutputClosedError';
}
