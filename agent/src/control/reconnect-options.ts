/**
 * Channel options every agent client of the control plane uses. grpc-js keeps its own
 * reconnect back-off under ours, growing to 120 s by default: while it waits, every call
 * fails at once with "No connection established", so an agent that first tried before the
 * control plane listened (or whose first SYN was lost before kube-proxy had the Service's
 * endpoint) stayed away for up to two minutes. Ours already backs off; the channel's is kept short.
 */
export const reconnectOptions = {
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 5000,
} as const;
