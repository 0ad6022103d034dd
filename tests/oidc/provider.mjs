// A real OpenID Provider for the single sign-on tests (tests/api/test_sso.py): oidc-provider,
// an OpenID Certified implementation, on loopback, with one client.
//
//   node tests/oidc/provider.mjs <port> <client_id> <client_secret> <redirect_uri>
//
// Prints "listening <issuer>" once it serves. Consent is taken as given (these tests are
// about the relying party); who signs in is the authorization request's login_hint. Two test
// routes stand in for what a test cannot do through a browser:
//   POST /__test__/accounts  {"sub": ..., "claims": {"email": ..., "email_verified": ..., "name": ...}}
//   POST /__test__/tamper    {"mode": "audience" | "signature" | "issuer" | "expired"}
// The second spoils the ID token of the next token response, once: re-signed with the
// provider's own key but another audience, issuer or expiry, or signed with a key the
// provider does not publish; the way a misconfigured or hostile provider would answer.
import http from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const KID = 'cxg-test-signing-key';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: KID, alg: 'RS256', use: 'sig' };
const { privateKey: rogueKey } = await jose.generateKeyPair('RS256');
const accounts = new Map();
let tamper = null;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // the ID token carries the scopes' claims, as most providers do
  cookies: { keys: ['cxg-test-cookies'] },
  async findAccount(ctx, sub) {
    const claims = accounts.get(sub);
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { sub, ...claims }; } };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

async function json(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}

async function spoil(idToken, mode) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  const changed = {
    audience: { aud: 'someone-else' },
    issuer: { iss: 'http://127.0.0.1:1/elsewhere' },
    expired: { iat: now - 7200, exp: now - 3600 },
    signature: {},
  }[mode];
  const key = mode === 'signature' ? rogueKey : privateKey;
  return new jose.SignJWT({ ...claims, ...changed })
    .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
    .sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/__test__/accounts') {
    const body = await json(ctx.req);
    accounts.set(body.sub, body.claims);
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'POST' && ctx.path === '/__test__/tamper') {
    tamper = (await json(ctx.req)).mode;
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'GET' && ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const result = details.prompt.name === 'login'
      ? { login: { accountId: details.params.login_hint } }
      : {};
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: false,
    }));
    return;
  }
  await next();
  if (ctx.path === '/token' && tamper && ctx.body?.id_token) {
    const mode = tamper;
    tamper = null;
    ctx.body = { ...ctx.body, id_token: await spoil(ctx.body.id_token, mode) };
  }
});

http.createServer(provider.callback()).listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
