// A local OAuth 2.0 authorization server for the tests, built on oidc-provider.
// It stands in for LinkedIn or X: its endpoints sit at the paths those
// providers document, so a connector whose base URL is overridden (scheme,
// host and port only) talks to it unchanged. Nothing here reaches past the
// loopback interface.
//
// Start:  node tests/support/oidc/server.mjs ['{"profile":"x","port":0,...}']
//
// Settings come from environment variables; a JSON object given as the first
// argument overrides them key by key (JSON key in brackets):
//
//   OIDC_PROFILE            [profile]        linkedin | x (default linkedin)
//   OIDC_HOST               [host]           address to bind, 127.x.x.x or localhost
//                                            (default 127.0.0.2)
//   OIDC_PORT               [port]           port, 0 picks a free one (default 0)
//   OIDC_CLIENT_ID          [client_id]      the one client's id (default connectors-test-client)
//   OIDC_CLIENT_SECRET      [client_secret]  its secret (default connectors-test-secret)
//   OIDC_REDIRECT_URIS      [redirect_uris]  its redirect URIs, required: comma- or
//                                            space-separated (JSON: an array or a string)
//   OIDC_TOKEN_AUTH_METHOD  [token_endpoint_auth_method]
//                                            client_secret_basic | client_secret_post
//                                            (default: post for linkedin, basic for x)
//   OIDC_ACCESS_TOKEN_TTL   [access_token_ttl]   seconds (default 5)
//   OIDC_REFRESH_TOKEN_TTL  [refresh_token_ttl]  seconds (default 1209600, 14 days)
//   OIDC_AUTO_APPROVE       [auto_approve]   an account id: every authorization request is
//                                            signed in as it and approved without a page
//                                            (default empty: sign-in and consent pages)
//   OIDC_PASSWORD           [password]       if set, the sign-in page accepts only this
//                                            password (default: any non-empty password)
//   OIDC_TOKEN_DELAY_MS     [token_delay_ms] wait this long before answering each token
//                                            request (default 0)
//   OIDC_EXIT_WITH_STDIN    [exit_with_stdin] 1/true: exit when standard input closes, so a
//                                            test that dies takes the server with it
//
// When it listens it prints exactly one line of JSON on stdout, e.g.
//   {"ready":true,"profile":"x","base":"http://127.0.0.2:41234",
//    "issuer":"http://127.0.0.2:41234","port":41234,...endpoints...}
// and nothing else on stdout. It exits with status 0 on SIGTERM or SIGINT,
// and with status 2 and a message on stderr when a setting is refused
// (oidc-provider's own checks of the client included).
// It logs nothing secret: no client secret, password, code, state or token.
//
// Control endpoints for the tests (same host and port):
//   GET  /__stats               counters as JSON (see README.md)
//   POST /__revoke-grants       revoke every grant: the next refresh answers invalid_grant
//   POST /__fail-next-token?status=503&count=1[&error=temporarily_unavailable]
//                               the next `count` token requests answer `status` untouched
//   POST /__token-delay?ms=N    change the token delay while running

import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

// oidc-provider prints notices with console.info: stdout carries only the
// ready line, so everything else goes to stderr.
console.log = console.error.bind(console);
console.info = console.error.bind(console);

// oidc-provider's debug output would show tokens and codes: it stays off.
delete process.env.DEBUG;
const { default: Provider } = await import('oidc-provider');

const PROFILES = {
  linkedin: {
    title: 'LinkedIn',
    routes: {
      authorization: '/oauth/v2/authorization',
      token: '/oauth/v2/accessToken',
      revocation: '/oauth/v2/revoke',
      userinfo: '/v2/userinfo',
      jwks: '/oauth/openid/jwks',
    },
    scopes: ['openid', 'profile', 'email', 'w_member_social'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'locale'],
      email: ['email', 'email_verified'],
    },
    userinfo: true,
    refreshTokenExpiresIn: true,
    authMethod: 'client_secret_post',
    // LinkedIn gives approved apps a refresh token with every code exchange.
    issuesRefreshToken: () => true,
  },
  x: {
    title: 'X',
    routes: {
      authorization: '/i/oauth2/authorize',
      token: '/2/oauth2/token',
      revocation: '/2/oauth2/revoke',
      jwks: '/2/oauth2/jwks',
    },
    scopes: ['tweet.read', 'tweet.write', 'users.read', 'offline.access'],
    claims: { openid: ['sub'] },
    userinfo: false,
    // X's own profile endpoint, answered from the access token.
    me: '/2/users/me',
    authMethod: 'client_secret_basic',
    // X gives a refresh token only when offline.access was granted.
    issuesRefreshToken: (scopes) => scopes.has('offline.access'),
  },
};

const AUTH_METHODS = new Set(['client_secret_basic', 'client_secret_post']);

// ---------------------------------------------------------------- settings

const SETTINGS = [
  ['profile', 'OIDC_PROFILE'],
  ['host', 'OIDC_HOST'],
  ['port', 'OIDC_PORT'],
  ['client_id', 'OIDC_CLIENT_ID'],
  ['client_secret', 'OIDC_CLIENT_SECRET'],
  ['redirect_uris', 'OIDC_REDIRECT_URIS'],
  ['token_endpoint_auth_method', 'OIDC_TOKEN_AUTH_METHOD'],
  ['access_token_ttl', 'OIDC_ACCESS_TOKEN_TTL'],
  ['refresh_token_ttl', 'OIDC_REFRESH_TOKEN_TTL'],
  ['auto_approve', 'OIDC_AUTO_APPROVE'],
  ['password', 'OIDC_PASSWORD'],
  ['token_delay_ms', 'OIDC_TOKEN_DELAY_MS'],
  ['exit_with_stdin', 'OIDC_EXIT_WITH_STDIN'],
];

function fail(message) {
  process.stderr.write(`oidc test server: ${message}\n`);
  process.exit(2);
}

function integer(name, value, min) {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min) fail(`${name} must be an integer >= ${min}`);
  return n;
}

function loadSettings() {
  let given = {};
  if (process.argv[2] !== undefined) {
    try {
      given = JSON.parse(process.argv[2]);
    } catch {
      fail('the argument is not a JSON object');
    }
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      fail('the argument is not a JSON object');
    }
    const known = new Set(SETTINGS.map(([key]) => key));
    for (const key of Object.keys(given)) {
      if (!known.has(key)) fail(`unknown setting "${key}" in the JSON argument`);
    }
  }
  const raw = {};
  for (const [key, env] of SETTINGS) {
    if (given[key] !== undefined) raw[key] = given[key];
    else if (process.env[env] !== undefined && process.env[env] !== '') raw[key] = process.env[env];
  }

  const profileName = String(raw.profile ?? 'linkedin').toLowerCase();
  const profile = PROFILES[profileName];
  if (!profile) fail(`profile must be one of ${Object.keys(PROFILES).join(', ')}`);

  const host = String(raw.host ?? '127.0.0.2');
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) && host !== 'localhost') {
    fail('host must be a loopback address (127.x.x.x or localhost)');
  }

  let redirectUris = raw.redirect_uris ?? [];
  if (typeof redirectUris === 'string') redirectUris = redirectUris.split(/[\s,]+/);
  if (!Array.isArray(redirectUris)) fail('redirect_uris must be a list of URLs');
  redirectUris = redirectUris.map(String).filter(Boolean);
  if (redirectUris.length === 0) fail('redirect_uris (OIDC_REDIRECT_URIS) is required');
  for (const uri of redirectUris) {
    if (!URL.canParse(uri)) fail('a redirect URI is not an absolute URL');
  }

  const authMethod = String(raw.token_endpoint_auth_method ?? profile.authMethod);
  if (!AUTH_METHODS.has(authMethod)) {
    fail(`token_endpoint_auth_method must be one of ${[...AUTH_METHODS].join(', ')}`);
  }

  const clientSecret = String(raw.client_secret ?? 'connectors-test-secret');
  if (clientSecret.length === 0) fail('client_secret must not be empty');

  return {
    profileName,
    profile,
    host,
    port: integer('port', raw.port ?? 0, 0),
    clientId: String(raw.client_id ?? 'connectors-test-client'),
    clientSecret,
    redirectUris,
    authMethod,
    accessTokenTtl: integer('access_token_ttl', raw.access_token_ttl ?? 5, 1),
    refreshTokenTtl: integer('refresh_token_ttl', raw.refresh_token_ttl ?? 14 * 24 * 3600, 1),
    autoApprove: raw.auto_approve ? String(raw.auto_approve) : '',
    password: raw.password ? String(raw.password) : '',
    tokenDelayMs: integer('token_delay_ms', raw.token_delay_ms ?? 0, 0),
    exitWithStdin: ['1', 'true', 'yes'].includes(String(raw.exit_with_stdin ?? '').toLowerCase()),
  };
}

const settings = loadSettings();
const { profile } = settings;

// ---------------------------------------------------------------- storage

// In-memory storage for oidc-provider's models. Entries expire with the
// lifetime oidc-provider gives them; tokens are indexed by grant so a grant's
// tokens can be revoked together.
const store = new Map(); // `${model}:${id}` -> { payload, expiresAt }
const byGrant = new Map(); // grantId -> Set of store keys
const sessionsByUid = new Map(); // session uid -> session id
const byUserCode = new Map(); // device user code -> id

function live(key) {
  const entry = store.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry.payload;
}

class MemoryStore {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    store.set(key, { payload: structuredClone(payload), expiresAt });
    if (payload.grantId) {
      if (!byGrant.has(payload.grantId)) byGrant.set(payload.grantId, new Set());
      byGrant.get(payload.grantId).add(key);
    }
    if (this.model === 'Session' && payload.uid) sessionsByUid.set(payload.uid, id);
    if (payload.userCode) byUserCode.set(payload.userCode, id);
  }

  async find(id) {
    const payload = live(this.key(id));
    return payload && structuredClone(payload);
  }

  async findByUid(uid) {
    const id = sessionsByUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = byUserCode.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const keys = byGrant.get(grantId);
    if (!keys) return;
    for (const key of keys) {
      if (key.startsWith(`${this.model}:`)) {
        store.delete(key);
        keys.delete(key);
      }
    }
  }
}

// Every grant and every token issued under it.
function revokeAllGrants() {
  const grantIds = new Set(byGrant.keys());
  for (const key of store.keys()) {
    if (key.startsWith('Grant:')) grantIds.add(key.slice('Grant:'.length));
  }
  for (const grantId of grantIds) {
    for (const key of byGrant.get(grantId) ?? []) store.delete(key);
    byGrant.delete(grantId);
    store.delete(`Grant:${grantId}`);
    markChainRevoked(grantId);
  }
  return grantIds.size;
}

// ---------------------------------------------------------------- stats

const stats = {
  token_requests: {},
  token_errors: {},
  token_injected_failures: 0,
  refresh: { requests: 0, succeeded: 0, failed: 0, reused: 0 },
  revocations: { requests: 0, access_token: 0, refresh_token: 0, unknown_token: 0, errors: 0 },
  authorizations: { requests: 0, codes_issued: 0, denied: 0 },
  userinfo_requests: 0,
  grants_revoked: 0,
};
// A chain is every refresh token issued under one grant (one authorization).
const chains = new Map(); // grantId -> chain
const refreshTokenGrant = new Map(); // sha256 of a refresh token -> grantId

function digest(value) {
  return createHash('sha256').update(String(value)).digest('hex');
}

function chainFor(grantId, accountId) {
  let chain = chains.get(grantId);
  if (!chain) {
    chain = {
      chain: chains.size + 1,
      account: accountId ?? null,
      refresh_tokens_issued: 0,
      refresh_requests: 0,
      succeeded: 0,
      failed: 0,
      reused: 0,
      revoked: false,
    };
    chains.set(grantId, chain);
  }
  return chain;
}

function markChainRevoked(grantId) {
  const chain = chains.get(grantId);
  if (chain && !chain.revoked) {
    chain.revoked = true;
    stats.grants_revoked += 1;
  }
}

function count(map, key) {
  map[key] = (map[key] ?? 0) + 1;
}

// One answered token request: its form parameters, the OAuth error it got
// (if any) and whether the refresh token it presented had been used already.
function recordTokenRequest(params, error, reused) {
  const grantType = params.grant_type ?? 'missing';
  count(stats.token_requests, grantType);
  if (error) count(stats.token_errors, error);
  if (grantType !== 'refresh_token') return;
  stats.refresh.requests += 1;
  const presented = params.refresh_token;
  const grantId = presented ? refreshTokenGrant.get(digest(presented)) : undefined;
  const chain = grantId ? chainFor(grantId) : undefined;
  if (chain) chain.refresh_requests += 1;
  if (error) {
    stats.refresh.failed += 1;
    if (chain) chain.failed += 1;
    if (reused) {
      stats.refresh.reused += 1;
      if (chain) chain.reused += 1;
    }
  } else {
    stats.refresh.succeeded += 1;
    if (chain) chain.succeeded += 1;
  }
}

function recordRevocation(outcome) {
  stats.revocations.requests += 1;
  stats.revocations[outcome] += 1;
}

function statsBody() {
  return {
    ...stats,
    token_delay_ms: tokenDelayMs,
    pending_injected_failures: injected.count,
    chains: [...chains.values()].sort((a, b) => a.chain - b.chain),
  };
}

// ---------------------------------------------------------------- accounts

function accountClaims(id) {
  const given = id.replace(/[^A-Za-z0-9]+/g, ' ').trim() || 'Test';
  return {
    sub: id,
    name: `${given} Tester`,
    given_name: given,
    family_name: 'Tester',
    locale: 'en-US',
    email: `${id.replace(/[^A-Za-z0-9._-]+/g, '-')}@example.test`,
    email_verified: true,
  };
}

// X identifies people by a numeric string.
function numericId(id) {
  return BigInt(`0x${digest(id).slice(0, 15)}`).toString();
}

// ---------------------------------------------------------------- provider

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
}

function configuration() {
  return {
    adapter: MemoryStore,
    clients: [
      {
        client_id: settings.clientId,
        client_secret: settings.clientSecret,
        client_name: 'connectors',
        redirect_uris: settings.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: settings.authMethod,
      },
    ],
    clientAuthMethods: [...AUTH_METHODS],
    clientBasedCORS: () => false,
    jwks: { keys: [signingKey()] },
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    routes: profile.routes,
    scopes: profile.scopes,
    claims: profile.claims,
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: profile.userinfo },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return accountClaims(id);
        },
      };
    },
    async issueRefreshToken(ctx, client, code) {
      return client.grantTypeAllowed('refresh_token') && profile.issuesRefreshToken(code.scopes);
    },
    // Every authorization request asks for consent, as X does, even when an
    // earlier grant covers the scopes: each one makes a grant (a new refresh
    // token chain) of its own. The sign-in is remembered for the session.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    rotateRefreshToken: true,
    // Tokens live by their own lifetimes, not the browser session at the provider.
    expiresWithSession: () => false,
    ttl: {
      AccessToken: settings.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: settings.refreshTokenTtl,
      Grant: settings.refreshTokenTtl + 3600,
      Interaction: 600,
      Session: 3600,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page(
        'Authorization error',
        `<h1>Authorization error</h1>
<p><strong>${escapeHtml(out.error)}</strong></p>
<p>${escapeHtml(out.error_description ?? '')}</p>`,
      );
    },
  };
}

// ---------------------------------------------------------------- pages

function escapeHtml(value) {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #1b1b1b; }
label { display: block; margin-top: 1rem; }
input { display: block; width: 100%; padding: .4rem; box-sizing: border-box; }
button { margin-top: 1rem; padding: .5rem 1rem; }
.error { color: #a00000; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function loginPage(uid, message) {
  const error = message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : '';
  return page(
    `Sign in to ${profile.title}`,
    `<h1>Sign in to ${escapeHtml(profile.title)}</h1>
<p>Test authorization server: sign in to continue to <strong>connectors</strong>.</p>
${error}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort">
<button type="submit">Cancel</button>
</form>`,
  );
}

function consentPage(uid, accountId, scopes) {
  const items = scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('\n');
  return page(
    'Allow access',
    `<h1>Allow access</h1>
<p>Signed in to ${escapeHtml(profile.title)} as <strong>${escapeHtml(accountId)}</strong>.</p>
<p><strong>connectors</strong> asks for:</p>
<ul>
${items}
</ul>
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm">
<button type="submit">Allow</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort">
<button type="submit">Cancel</button>
</form>`,
  );
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(html);
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

const MAX_FORM = 16 * 1024;

function readForm(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_FORM) {
        reject(new Error('form too large'));
        req.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

// The scopes the consent page lists and a grant receives: the requested ones
// this provider knows.
function requestedScopes(details) {
  const known = new Set(profile.scopes);
  return String(details.params.scope ?? '')
    .split(' ')
    .filter((scope) => known.has(scope));
}

async function grantFor(details, accountId) {
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId: details.params.client_id });
  const scopes = requestedScopes(details);
  if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '));
  const claims = details.prompt.details?.missingOIDCClaims;
  if (Array.isArray(claims) && claims.length > 0) grant.addOIDCClaims(claims);
  return grant.save();
}

async function interaction(req, res, path) {
  const match = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(path);
  if (!match) return sendHtml(res, 404, page('Not found', '<h1>Not found</h1>'));
  const [, uid, action] = match;
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    return sendHtml(
      res,
      400,
      page('Sign-in expired', '<h1>Sign-in expired</h1><p>Start the connection again.</p>'),
    );
  }
  if (details.uid !== uid) {
    return sendHtml(res, 400, page('Sign-in expired', '<h1>Sign-in expired</h1>'));
  }
  const prompt = details.prompt.name;

  if (req.method === 'GET' && action === undefined) {
    if (settings.autoApprove) {
      const accountId = details.session?.accountId ?? settings.autoApprove;
      const grantId = await grantFor(details, accountId);
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    }
    if (prompt === 'login') return sendHtml(res, 200, loginPage(uid));
    if (prompt === 'consent') {
      return sendHtml(res, 200, consentPage(uid, details.session.accountId, requestedScopes(details)));
    }
    return sendHtml(res, 400, page('Unsupported', '<h1>This request cannot be completed</h1>'));
  }

  if (req.method !== 'POST' || action === undefined) {
    return sendHtml(res, 405, page('Not allowed', '<h1>Method not allowed</h1>'));
  }

  const form = await readForm(req);
  if (action === 'abort') {
    return provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user cancelled the authorization request.' },
      { mergeWithLastSubmission: false },
    );
  }
  if (action === 'login') {
    if (prompt !== 'login') return sendHtml(res, 400, page('Wrong step', '<h1>Wrong step</h1>'));
    const username = (form.get('username') ?? '').trim();
    const password = form.get('password') ?? '';
    if (!username || !password || (settings.password && password !== settings.password)) {
      return sendHtml(res, 200, loginPage(uid, 'Wrong username or password.'));
    }
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: username } },
      { mergeWithLastSubmission: false },
    );
  }
  // confirm
  if (prompt !== 'consent') return sendHtml(res, 400, page('Wrong step', '<h1>Wrong step</h1>'));
  const grantId = await grantFor(details, details.session.accountId);
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

// ---------------------------------------------------------------- X's profile endpoint

async function xMe(req, res) {
  stats.userinfo_requests += 1;
  const unauthorized = { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' };
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  const token = match ? await provider.AccessToken.find(match[1]) : undefined;
  if (!token || token.isExpired) return sendJson(res, 401, unauthorized);
  if (!token.scopes.has('users.read')) {
    return sendJson(res, 403, { title: 'Forbidden', type: 'about:blank', status: 403, detail: 'Forbidden' });
  }
  const claims = accountClaims(token.accountId);
  return sendJson(res, 200, {
    data: { id: numericId(token.accountId), name: claims.name, username: token.accountId },
  });
}

// ---------------------------------------------------------------- token gate

let tokenDelayMs = settings.tokenDelayMs;
const injected = { count: 0, status: 503, error: 'temporarily_unavailable' };
let tokenQueue = Promise.resolve();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Token requests are answered one at a time, as a provider with a
// transactional store would: of two requests with the same refresh token, one
// rotates it and the other finds it used.
async function tokenRequest(req, res) {
  if (tokenDelayMs > 0) await sleep(tokenDelayMs);
  if (injected.count > 0) {
    injected.count -= 1;
    stats.token_injected_failures += 1;
    req.resume();
    return sendJson(
      res,
      injected.status,
      { error: injected.error, error_description: 'the token endpoint failed on purpose (test control)' },
      injected.status === 503 || injected.status === 429 ? { 'retry-after': '1' } : {},
    );
  }
  if (clientAuthMismatch(req)) return refuseClientAuth(req, res, 'token');
  const turn = tokenQueue.then(() => callback(req, res));
  tokenQueue = turn.catch(() => {});
  return turn;
}

// oidc-provider takes a client secret from the Authorization header or the
// body whichever way the client is registered; a provider holds its clients
// to the one method they registered, and so does this server.
function clientAuthMismatch(req) {
  const basic = /^basic\s/i.test(req.headers.authorization ?? '');
  return settings.authMethod === 'client_secret_basic' ? !basic : basic;
}

async function refuseClientAuth(req, res, route) {
  const form = await readForm(req);
  if (route === 'token') {
    recordTokenRequest(Object.fromEntries(form), 'invalid_client', false);
  } else {
    recordRevocation('errors');
  }
  const headers = settings.authMethod === 'client_secret_basic'
    ? { 'www-authenticate': `Basic realm="${issuerBase}"` }
    : {};
  return sendJson(
    res,
    401,
    {
      error: 'invalid_client',
      error_description: `client authentication failed: this client authenticates with ${settings.authMethod}`,
    },
    headers,
  );
}

// ---------------------------------------------------------------- control endpoints

async function control(req, res, url) {
  const path = url.pathname;
  if (path === '/__stats' && req.method === 'GET') return sendJson(res, 200, statsBody());
  if (req.method !== 'POST') return sendJson(res, 404, { error: 'not_found' });
  req.resume();
  if (path === '/__revoke-grants') {
    return sendJson(res, 200, { revoked: revokeAllGrants() });
  }
  if (path === '/__fail-next-token') {
    const status = Number(url.searchParams.get('status') ?? 503);
    const n = Number(url.searchParams.get('count') ?? 1);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      return sendJson(res, 400, { error: 'status must be an HTTP error status (400-599)' });
    }
    if (!Number.isInteger(n) || n < 0 || n > 1000) {
      return sendJson(res, 400, { error: 'count must be an integer from 0 to 1000' });
    }
    const fallback = status === 503 ? 'temporarily_unavailable' : 'server_error';
    const error = url.searchParams.get('error') || fallback;
    if (!/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/.test(error)) {
      return sendJson(res, 400, { error: 'error must be a printable OAuth error code' });
    }
    Object.assign(injected, { count: n, status, error });
    return sendJson(res, 200, { pending: injected.count, status, error });
  }
  if (path === '/__token-delay') {
    const ms = Number(url.searchParams.get('ms'));
    if (!Number.isInteger(ms) || ms < 0 || ms > 60000) {
      return sendJson(res, 400, { error: 'ms must be an integer from 0 to 60000' });
    }
    tokenDelayMs = ms;
    return sendJson(res, 200, { token_delay_ms: tokenDelayMs });
  }
  return sendJson(res, 404, { error: 'not_found' });
}

// ---------------------------------------------------------------- server

let provider;
let callback;
let issuerBase;

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  let handled;
  if (url.pathname.startsWith('/__')) handled = control(req, res, url);
  else if (url.pathname.startsWith('/interaction/')) handled = interaction(req, res, url.pathname);
  else if (profile.me && url.pathname === profile.me && req.method === 'GET') handled = xMe(req, res);
  else if (url.pathname === profile.routes.token && req.method === 'POST') handled = tokenRequest(req, res);
  else if (url.pathname === profile.routes.revocation && req.method === 'POST' && clientAuthMismatch(req)) {
    handled = refuseClientAuth(req, res, 'revocation');
  }
  else handled = callback(req, res);
  Promise.resolve(handled).catch((err) => {
    process.stderr.write(`oidc test server: request failed: ${err?.name ?? 'Error'}\n`);
    if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
    else res.destroy();
  });
});

server.on('error', (err) => fail(`cannot listen on ${settings.host}:${settings.port}: ${err.code ?? err.message}`));

server.listen(settings.port, settings.host, () => {
  const { port } = server.address();
  const base = `http://${settings.host}:${port}`;
  issuerBase = base;
  provider = new Provider(base, configuration());
  wireStats(provider);
  if (profile.refreshTokenExpiresIn) answerRefreshTokenLifetime(provider);
  callback = provider.callback();
  announce(base, port).catch((err) => fail(`the client settings are refused: ${err?.error_description ?? err?.message}`));
});

// Loads the client once, so that settings oidc-provider refuses (a redirect
// URI it does not accept) stop the start instead of the first request, then
// prints the ready line.
async function announce(base, port) {
  if (!(await provider.Client.find(settings.clientId))) throw new Error('the client did not load');
  const endpoint = (route) => (profile.routes[route] ? `${base}${profile.routes[route]}` : undefined);
  const ready = {
    ready: true,
    profile: settings.profileName,
    base,
    issuer: base,
    port,
    authorization_endpoint: endpoint('authorization'),
    token_endpoint: endpoint('token'),
    revocation_endpoint: endpoint('revocation'),
    userinfo_endpoint: profile.me ? `${base}${profile.me}` : endpoint('userinfo'),
    client_id: settings.clientId,
    token_endpoint_auth_method: settings.authMethod,
    scopes: profile.scopes,
    access_token_ttl: settings.accessTokenTtl,
    auto_approve: settings.autoApprove || null,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

// LinkedIn's token answers also say how long the refresh token lives.
function answerRefreshTokenLifetime(p) {
  p.use(async (ctx, next) => {
    await next();
    const refreshToken = ctx.oidc?.entities?.RefreshToken;
    if (ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body?.refresh_token && refreshToken) {
      ctx.body = { ...ctx.body, refresh_token_expires_in: refreshToken.remainingTTL };
    }
  });
}

function wireStats(p) {
  p.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    const failed = ctx.status >= 400;
    const error = failed && ctx.body && typeof ctx.body === 'object' ? ctx.body.error : undefined;
    if (route === 'authorization') {
      stats.authorizations.requests += 1;
    } else if (route === 'userinfo') {
      stats.userinfo_requests += 1;
    } else if (route === 'token') {
      recordTokenRequest(ctx.oidc.params ?? {}, error, Boolean(ctx.oidc.entities?.RefreshToken?.consumed));
    } else if (route === 'revocation') {
      const { entities } = ctx.oidc;
      if (failed) recordRevocation('errors');
      else if (entities?.RefreshToken) recordRevocation('refresh_token');
      else if (entities?.AccessToken) recordRevocation('access_token');
      else recordRevocation('unknown_token');
    }
  });
  p.on('refresh_token.saved', (token) => {
    refreshTokenGrant.set(digest(token.jti), token.grantId);
    chainFor(token.grantId, token.accountId).refresh_tokens_issued += 1;
  });
  p.on('grant.revoked', (ctx, grantId) => markChainRevoked(grantId));
  p.on('authorization.success', () => {
    stats.authorizations.codes_issued += 1;
  });
  p.on('authorization.error', (ctx, err) => {
    if (err?.error === 'access_denied') stats.authorizations.denied += 1;
  });
  p.on('server_error', (ctx, err) => {
    process.stderr.write(`oidc test server: server error: ${err?.name ?? 'Error'}: ${err?.message ?? ''}\n`);
  });
}

// ---------------------------------------------------------------- shutdown

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (settings.exitWithStdin) {
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.resume();
}
