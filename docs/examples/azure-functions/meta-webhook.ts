// Samples of docs/azure-functions.md (this file is its src/meta-webhook.ts): the webhook checks shown in
// docs/express-webhook.md, shared rather than written twice.
// src/meta-webhook.ts
export { MAX_BODY_BYTES, isSignedByMeta, parseDelivery, secretFromEnvironment, verificationChallenge } from '../meta-webhook.js';
