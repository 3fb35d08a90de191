export { ConfigDistributor, ConfigSession, type ConfigDistributorOptions, type DistributorEvents, type UpdateSink } from './config-distributor.js';
export { MeshModel, type MeshModelOptions, type ModelChange, type ModelEntry, type ModelReader } from './mesh-model.js';
export { meshConfigService, type MeshConfigServiceOptions } from './mesh-config-service.js';
export { nodeView, viewDiff, type NodeView } from './node-view.js';
export { acceptedCondition, policyFromK8s, policyResource, type AuthorizationPolicyObject, type PolicyCondition, type PolicyProblem, type TranslatedPolicy } from './policy-translate.js';
export { canonicalIp, meshLabel, mtlsModeLabel, namespaceFromK8s, podFromK8s, serviceFromK8s, sliceFromK8s, type NamespaceFacts, type PodFacts, type ServiceFacts, type SliceFacts } from './translate.js';
