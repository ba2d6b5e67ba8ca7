// Error codes the API contract (brief/API.md) promises; the UI has a headline for each.
export const CONTRACT_ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'unauthorized',
  'invalid_credentials',
  'account_locked',
  'rate_limited',
  'forbidden',
  'csrf_failed',
  'tenant_pending',
  'tenant_suspended',
  'not_found',
  'conflict',
  'payload_too_large',
  'internal',
] as const;

export type ContractErrorCode = (typeof CONTRACT_ERROR_CODES)[number];
