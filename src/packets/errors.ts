/**
 * Why a session's packets cannot be given, with the HTTP status that says so (the CLI prints the
 * message and exits 1): 400 a bad parameter, 404 no such session, flow, alert or window, 409 the
 * session is not loaded or its capture changed, 410 its packets are no longer kept, 503 the S3
 * store holding its capture cannot be read now.
 */
export class PacketsError extends Error {
  override name = 'PacketsError';
  constructor(
    readonly statusCode: 400 | 404 | 409 | 410 | 503,
    message: string,
  ) {
    super(message);
  }
}
