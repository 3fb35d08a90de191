/** One request and its response, as observed passively on a proxied connection. */
export interface HttpExchange {
  protocol: 'http1' | 'http2';
  method: string;
  path: string;
  authority?: string;
  status?: number;
  grpcStatus?: number;
  /** seconds from the first byte of the request to the end of the response (or to the moment it was abandoned) */
  durationSeconds: number;
}

/** What both HTTP observers take. */
export interface HttpObserverOptions {
  /** Called once per request/response pair, in completion order. Must not throw. */
  onExchange: (exchange: HttpExchange) => void;
  /** A monotonic clock in milliseconds; `performance.now` unless a test pins time. */
  now?: () => number;
}
