import type { LiveSocketFactory } from './live-connection.js';

/** The browser's WebSocket as a LiveSocket. */
export const browserSocket: LiveSocketFactory = (url, handlers) => {
  const socket = new WebSocket(url);
  socket.addEventListener('open', () => handlers.open());
  socket.addEventListener('message', (event: MessageEvent<unknown>) => {
    // The contract's messages are text frames; a binary frame is not one of them.
    if (typeof event.data === 'string') handlers.message(event.data);
  });
  // 'error' is always followed by 'close', which is where reconnecting starts.
  socket.addEventListener('close', () => handlers.close());
  return socket;
};
