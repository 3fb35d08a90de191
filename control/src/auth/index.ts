export { AgentAuthenticator, type AgentAuthenticatorOptions, type TokenReviewer, type TokenReviewResult } from './agent-authenticator.js';
export { bearerToken, Refusal, refusalStatus, type RefusalKind } from './refusal.js';
