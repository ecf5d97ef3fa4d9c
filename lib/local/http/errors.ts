/** Base class of the local HTTP server's own errors. */
export class LocalHttpError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Routes or auth settings that cannot work; raised at start-up, never per request. */
export class HttpServerConfigError extends LocalHttpError {}

/** The API token file exists but does not hold a token this server wrote. */
export class ApiTokenFileError extends LocalHttpError {}
