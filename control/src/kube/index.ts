export { AnchorSecret } from './anchor-secret.js';
export { apiStatus, loadKubeConfig } from './kube-config.js';
export { KubeWatch, type KubeWatchOptions, type WatchEvent } from './kube-watch.js';
export { KubePodDirectory } from './pod-directory.js';
export { KubeTokenReviewer } from './token-reviewer.js';
export { MeshWatches, type MeshWatchesOptions } from './mesh-watches.js';
export { PolicyStatusWriter } from './policy-status.js';
export { publishTrustBundle, trustBundleKey } from './trust-bundle-config-map.js';
