/** The folder is not a checkpoint Arbiter can load, or the name is taken: the message says which. */
export class RegisterModelError extends Error {
  constructor(
    message: string,
    /** the name is taken (HTTP 409), rather than the folder being wrong (400) */
    readonly conflict = false,
  ) {
    super(message);
  }
}
