/**
 * Capture constants of the house plan (docs/ARCHITECTURE.md, "Ports"). They reach the
 * kernel programs through the weft_config map, so this is their only home.
 */
export const captureDefaults = {
  /** In-pod outbound listener: 127.0.0.1 and [::1]. */
  outboundPort: 15001,
  /** In-pod plaintext inbound listener: [::] (or 0.0.0.0 without IPv6). */
  inboundPort: 15006,
  /** In-pod mTLS (HBONE) inbound listener: never redirected. */
  inboundTlsPort: 15008,
  /** Link-local source address of the agent's connections toward local pods. */
  agentSourceIpv4: '169.254.7.127',
  /** SO_MARK of the agent's own sockets in pod namespaces; the kernel never redirects them. */
  agentMark: 0x5746,
  /** Default bpffs folder for Weft's pins. */
  pinRoot: '/sys/fs/bpf/weft',
} as const;
