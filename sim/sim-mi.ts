/**
 * Managed-identity endpoints on the sim's plain-HTTP listener: IMDS
 * (`GET /metadata/identity/oauth2/token`, requires `Metadata: true`) and App Service
 * (`GET /MSI/token`, requires `X-IDENTITY-HEADER`). Answers use the IMDS JSON shapes, with
 * `expires_in` and friends as strings.
 */
import { type SimContext } from './sim-context.js';
import { json, type SimRequest, type SimResponse } from './sim-http.js';
import { guidFrom } from './sim-tokens.js';

const MI_LIFETIME_SEC = 86399;
const SUB = '00000000-0000-0000-0000-000000005151';

function imdsError(status: number, error: string, description: string): SimResponse {
  return json(status, { error, error_description: description });
}

interface Identity {
  readonly clientId: string;
  readonly resourceId: string;
}

/** The client id IMDS reports for the sim VM's system-assigned identity. */
export const SIM_SYSTEM_MI_CLIENT_ID = guidFrom('system-assigned');

/**
 * A user-assigned managed identity with a federated identity credential (AKS workload identity):
 * it signs in at the token endpoint itself (client_credentials + a federated assertion), and its
 * tokens carry its ARM resource id (`xms_mirid`) like every managed identity's.
 */
export const SIM_FIC_MI_CLIENT_ID = guidFrom('uami-with-fic');

/** The ARM resource id (xms_mirid) of a managed identity that signs in at the token endpoint. */
export function ficManagedIdentityResourceId(clientId: string): string | undefined {
  return clientId === SIM_FIC_MI_CLIENT_ID
    ? `/subscriptions/${SUB}/resourcegroups/rg-sim/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-workload`
    : undefined;
}

/** Resources of Azure operated by 21Vianet: their tokens come from the China cloud's authority. */
const CHINA_RESOURCE = /^https?:\/\/(?:[^/]*\.)?(?:chinacloudapi\.cn|azure\.cn)(?:[/:]|$)/i;

function authorityHostFor(resource: string): string {
  return CHINA_RESOURCE.test(resource)
    ? 'login.partner.microsoftonline.cn'
    : 'login.microsoftonline.com';
}

function identityFor(q: URLSearchParams): Identity {
  const clientId = q.get('client_id') ?? q.get('clientid');
  const objectId = q.get('object_id') ?? q.get('principal_id');
  const resId = q.get('msi_res_id') ?? q.get('mi_res_id');
  if (clientId !== null && clientId !== '') {
    return {
      clientId,
      resourceId: `/subscriptions/${SUB}/resourcegroups/rg-sim/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-${clientId.slice(0, 8)}`,
    };
  }
  if (objectId !== null && objectId !== '') {
    return {
      clientId: guidFrom(`uami-oid|${objectId}`),
      resourceId: `/subscriptions/${SUB}/resourcegroups/rg-sim/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-${objectId.slice(0, 8)}`,
    };
  }
  if (resId !== null && resId !== '')
    return { clientId: guidFrom(`uami-res|${resId}`), resourceId: resId };
  return {
    clientId: SIM_SYSTEM_MI_CLIENT_ID,
    resourceId: `/subscriptions/${SUB}/resourcegroups/rg-sim/providers/Microsoft.Compute/virtualMachines/vm-sim`,
  };
}

async function miToken(
  ctx: SimContext,
  resource: string,
  id: Identity,
): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await ctx.tokens.accessToken({
    tenantId: ctx.tenantId,
    host: authorityHostFor(resource),
    clientId: id.clientId,
    clientAuth: 2,
    scopes: [`${resource.replace(/\/$/, '')}/.default`],
    miResourceId: id.resourceId,
    lifetimeSec: MI_LIFETIME_SEC,
  });
  return {
    access_token: accessToken,
    client_id: id.clientId,
    expires_in: String(MI_LIFETIME_SEC),
    expires_on: String(now + MI_LIFETIME_SEC),
    ext_expires_in: String(MI_LIFETIME_SEC),
    not_before: String(now),
    resource,
    token_type: 'Bearer',
  };
}

/** GET /metadata/identity/oauth2/token (IMDS, also Arc's path). */
export async function imdsToken(ctx: SimContext, req: SimRequest): Promise<SimResponse> {
  if (req.header('metadata')?.toLowerCase() !== 'true') {
    return imdsError(400, 'invalid_request', 'Required metadata header not specified');
  }
  if (req.method !== 'GET')
    return imdsError(405, 'invalid_request', 'The requested method is not allowed');
  if (!req.query.get('api-version')) {
    return imdsError(400, 'invalid_request', 'Required query variable api-version is missing');
  }
  const resource = req.query.get('resource');
  if (resource === null || resource === '') {
    return imdsError(400, 'invalid_request', 'Required audience parameter not specified');
  }
  return json(200, {
    ...(await miToken(ctx, resource, identityFor(req.query))),
    refresh_token: '',
  });
}

/** GET /MSI/token (App Service 2019-08-01 protocol). */
export async function appServiceToken(ctx: SimContext, req: SimRequest): Promise<SimResponse> {
  const header = req.header('x-identity-header');
  if (header === undefined || header === '') {
    return json(401, { statusCode: 401, message: 'Unauthorized. X-IDENTITY-HEADER is missing.' });
  }
  const resource = req.query.get('resource');
  if (resource === null || resource === '') {
    return json(400, { statusCode: 400, message: 'Required query parameter resource is missing.' });
  }
  const t = await miToken(ctx, resource, identityFor(req.query));
  return json(200, {
    access_token: t['access_token'],
    expires_on: t['expires_on'],
    resource,
    token_type: 'Bearer',
    client_id: t['client_id'],
  });
}
