// Self-test of the OAuth 2.0 test server: starts server.mjs for each
// provider profile and drives it with plain fetch, as the service would.
// Run: cd tests/support/oidc && node --test selftest.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SERVER = join(dirname(fileURLToPath(import.meta.url)), 'server.mjs');
const REDIRECT = 'http://127.0.0.1:9/oauth/callback';
const SECRET = 'selftest-secret-Zq8';
const TIMEOUT = { timeout: 30_000 };

// Starts the server with the given settings and waits for its ready line.
async function start(settings) {
  const child = spawn(process.execPath, [SERVER, JSON.stringify(settings)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${stderr}`)), 10_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(stdout.slice(0, newline)));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}; stderr: ${stderr}`));
    });
  });
  return {
    ready,
    base: ready.base,
    output: () => stdout + stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code;
    },
  };
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

// Cookies by name, enough for one provider on one host.
class Jar {
  cookies = new Map();

  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  take(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

// One request with the jar, never following redirects.
async function visit(jar, url, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (jar.cookies.size > 0) headers.cookie = jar.header();
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.take(response);
  return response;
}

// Follows redirects from `url` until one points at the redirect URI.
async function followToRedirectUri(jar, url, init) {
  let response = await visit(jar, url, init);
  for (let hop = 0; hop < 10; hop += 1) {
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { response };
    const next = new URL(location, response.url || url);
    if (next.href.startsWith(REDIRECT)) return { response, callback: next };
    response = await visit(jar, next.href);
  }
  throw new Error('too many redirects');
}

function authorizationUrl(server, { scope, state, challenge, extra = {} }) {
  const url = new URL(server.ready.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: server.ready.client_id,
    redirect_uri: REDIRECT,
    scope,
    state,
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
    ...extra,
  }).toString();
  return url.href;
}

async function authorize(server, scope) {
  const jar = new Jar();
  const state = randomBytes(16).toString('base64url');
  const { verifier, challenge } = pkce();
  const { callback } = await followToRedirectUri(jar, authorizationUrl(server, { scope, state, challenge }));
  assert.ok(callback, 'the authorization ends at the redirect URI');
  assert.equal(callback.searchParams.get('state'), state);
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code in ${callback.search.replace(/code=[^&]+/, 'code=…')}`);
  return { code, verifier };
}

// A token-endpoint (or revocation-endpoint) call with the client's own auth method.
async function clientPost(server, endpoint, params, { method, secret = SECRET } = {}) {
  const body = new URLSearchParams(params);
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const auth = method ?? server.ready.token_endpoint_auth_method;
  if (auth === 'client_secret_basic') {
    const id = encodeURIComponent(server.ready.client_id);
    headers.authorization = `Basic ${Buffer.from(`${id}:${encodeURIComponent(secret)}`).toString('base64')}`;
  } else {
    body.set('client_id', server.ready.client_id);
    body.set('client_secret', secret);
  }
  const response = await fetch(endpoint, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

function exchange(server, { code, verifier }, options) {
  return clientPost(
    server,
    server.ready.token_endpoint,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
    options,
  );
}

function refresh(server, refreshToken, options) {
  return clientPost(server, server.ready.token_endpoint, { grant_type: 'refresh_token', refresh_token: refreshToken }, options);
}

async function stats(server) {
  const response = await fetch(`${server.base}/__stats`);
  assert.equal(response.status, 200);
  return response.json();
}

async function control(server, path) {
  const response = await fetch(`${server.base}${path}`, { method: 'POST' });
  return { status: response.status, body: await response.json() };
}

function assertNoSecrets(server, secrets) {
  const output = server.output();
  for (const secret of secrets.filter(Boolean)) {
    assert.ok(!output.includes(secret), 'a secret reached the server output');
  }
}

const LINKEDIN_SCOPE = 'openid profile email w_member_social';
const X_SCOPE = 'tweet.read tweet.write users.read offline.access';

test('linkedin: code with PKCE, client_secret_post, userinfo, rotation, reuse refused', TIMEOUT, async () => {
  const server = await start({
    profile: 'linkedin',
    redirect_uris: [REDIRECT],
    client_secret: SECRET,
    auto_approve: 'user-1',
  });
  try {
    assert.equal(server.ready.token_endpoint, `${server.base}/oauth/v2/accessToken`);
    assert.equal(server.ready.token_endpoint_auth_method, 'client_secret_post');
    assert.match(server.ready.base, /^http:\/\/127\.0\.0\.2:\d+$/);

    const authorization = await authorize(server, LINKEDIN_SCOPE);
    // The client is registered for client_secret_post: Basic is refused.
    const basic = await exchange(server, authorization, { method: 'client_secret_basic' });
    assert.equal(basic.status, 401);
    assert.equal(basic.body.error, 'invalid_client');
    const first = await exchange(server, authorization);
    assert.equal(first.status, 200, JSON.stringify(first.body?.error));
    assert.equal(first.body.token_type, 'Bearer');
    assert.equal(first.body.expires_in, 5);
    assert.ok(first.body.access_token && first.body.refresh_token && first.body.id_token);
    assert.ok(first.body.refresh_token_expires_in > 1_209_000 && first.body.refresh_token_expires_in <= 1_209_600);
    assert.deepEqual(first.body.scope.split(' ').sort(), LINKEDIN_SCOPE.split(' ').sort());

    const userinfo = await fetch(`${server.base}/v2/userinfo`, {
      headers: { authorization: `Bearer ${first.body.access_token}` },
    });
    assert.equal(userinfo.status, 200);
    const me = await userinfo.json();
    assert.equal(me.sub, 'user-1');
    assert.equal(me.email, 'user-1@example.test');
    assert.ok(me.name);

    const second = await refresh(server, first.body.refresh_token);
    assert.equal(second.status, 200);
    assert.equal(second.body.expires_in, 5);
    assert.ok(second.body.refresh_token);
    assert.notEqual(second.body.refresh_token, first.body.refresh_token);
    assert.notEqual(second.body.access_token, first.body.access_token);

    // The rotated-out token is refused, and its reuse ends the whole chain.
    const reused = await refresh(server, first.body.refresh_token);
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
    const afterReuse = await refresh(server, second.body.refresh_token);
    assert.equal(afterReuse.body.error, 'invalid_grant');

    const counts = await stats(server);
    assert.deepEqual(counts.token_requests, { authorization_code: 2, refresh_token: 3 });
    assert.equal(counts.token_errors.invalid_client, 1);
    assert.equal(counts.token_errors.invalid_grant, 2);
    assert.deepEqual(counts.refresh, { requests: 3, succeeded: 1, failed: 2, reused: 1 });
    assert.equal(counts.authorizations.codes_issued, 1);
    assert.equal(counts.userinfo_requests, 1);
    assert.equal(counts.chains.length, 1);
    assert.deepEqual(counts.chains[0], {
      chain: 1,
      account: 'user-1',
      refresh_tokens_issued: 2,
      refresh_requests: 3,
      succeeded: 1,
      failed: 2,
      reused: 1,
      revoked: true,
    });

    // The code is single-use.
    const again = await exchange(server, authorization);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');

    assertNoSecrets(server, [SECRET, authorization.code, first.body.access_token, first.body.refresh_token]);
    assert.equal(await server.stop(), 0);
  } finally {
    await server.stop();
  }
});

test('x: client_secret_basic, offline.access decides the refresh token, revocation, /2/users/me', TIMEOUT, async () => {
  const server = await start({
    profile: 'x',
    redirect_uris: `${REDIRECT} http://127.0.0.1:9/other`,
    client_secret: SECRET,
    auto_approve: 'user-x',
  });
  try {
    assert.equal(server.ready.authorization_endpoint, `${server.base}/i/oauth2/authorize`);
    assert.equal(server.ready.token_endpoint_auth_method, 'client_secret_basic');

    const withoutOffline = await exchange(server, await authorize(server, 'tweet.read users.read'));
    assert.equal(withoutOffline.status, 200);
    assert.equal(withoutOffline.body.refresh_token, undefined);
    assert.equal(withoutOffline.body.id_token, undefined);
    assert.equal(withoutOffline.body.refresh_token_expires_in, undefined);

    const authorization = await authorize(server, X_SCOPE);
    // The client is registered for Basic: its secret in the body is refused.
    const wrongMethod = await exchange(server, authorization, { method: 'client_secret_post' });
    assert.equal(wrongMethod.status, 401);
    assert.equal(wrongMethod.body.error, 'invalid_client');
    const wrongSecret = await exchange(server, authorization, { secret: 'not-the-secret' });
    assert.equal(wrongSecret.body.error, 'invalid_client');

    const tokens = await exchange(server, authorization);
    assert.equal(tokens.status, 200);
    assert.ok(tokens.body.refresh_token);
    assert.deepEqual(tokens.body.scope.split(' ').sort(), X_SCOPE.split(' ').sort());

    const me = await fetch(`${server.base}/2/users/me`, {
      headers: { authorization: `Bearer ${tokens.body.access_token}` },
    });
    assert.equal(me.status, 200);
    const { data } = await me.json();
    assert.equal(data.username, 'user-x');
    assert.match(data.id, /^\d+$/);
    const anonymous = await fetch(`${server.base}/2/users/me`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(anonymous.status, 401);

    const rotated = await refresh(server, tokens.body.refresh_token);
    assert.equal(rotated.status, 200);

    const refusedRevocation = await clientPost(
      server,
      server.ready.revocation_endpoint,
      { token: rotated.body.refresh_token },
      { method: 'client_secret_post' },
    );
    assert.equal(refusedRevocation.status, 401);
    assert.equal(refusedRevocation.body.error, 'invalid_client');
    const revoked = await clientPost(server, server.ready.revocation_endpoint, {
      token: rotated.body.refresh_token,
      token_type_hint: 'refresh_token',
    });
    assert.equal(revoked.status, 200);
    const afterRevoke = await refresh(server, rotated.body.refresh_token);
    assert.equal(afterRevoke.body.error, 'invalid_grant');
    // Revoking a refresh token revokes the access tokens of its grant too.
    const meAfter = await fetch(`${server.base}/2/users/me`, {
      headers: { authorization: `Bearer ${rotated.body.access_token}` },
    });
    assert.equal(meAfter.status, 401);

    const counts = await stats(server);
    assert.equal(counts.revocations.requests, 2);
    assert.equal(counts.revocations.refresh_token, 1);
    assert.equal(counts.revocations.errors, 1);
    assert.equal(counts.token_errors.invalid_client, 2);
    assert.equal(counts.chains.length, 1);
    assert.equal(counts.chains[0].refresh_requests, 2);
    assert.equal(counts.chains[0].succeeded, 1);
    assert.equal(counts.chains[0].revoked, true);
    assertNoSecrets(server, [SECRET, tokens.body.access_token, tokens.body.refresh_token]);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('PKCE is required and checked', TIMEOUT, async () => {
  const server = await start({ profile: 'x', redirect_uris: [REDIRECT], client_secret: SECRET, auto_approve: 'u' });
  try {
    const state = 'state-1';
    const { callback } = await followToRedirectUri(
      new Jar(),
      authorizationUrl(server, { scope: X_SCOPE, state }),
    );
    assert.equal(callback.searchParams.get('error'), 'invalid_request');
    assert.equal(callback.searchParams.get('state'), state);

    const plain = await followToRedirectUri(
      new Jar(),
      authorizationUrl(server, { scope: X_SCOPE, state, extra: { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' } }),
    );
    assert.equal(plain.callback.searchParams.get('error'), 'invalid_request');

    const authorization = await authorize(server, X_SCOPE);
    const wrong = await exchange(server, { code: authorization.code, verifier: pkce().verifier });
    assert.equal(wrong.body.error, 'invalid_grant');
  } finally {
    await server.stop();
  }
});

test('injected token failures, revoke-grants and token delay', TIMEOUT, async () => {
  const server = await start({ profile: 'x', redirect_uris: [REDIRECT], client_secret: SECRET, auto_approve: 'u' });
  try {
    const tokens = (await exchange(server, await authorize(server, X_SCOPE))).body;

    const armed = await control(server, '/__fail-next-token?status=503&count=2');
    assert.deepEqual(armed.body, { pending: 2, status: 503, error: 'temporarily_unavailable' });
    for (let i = 0; i < 2; i += 1) {
      const failed = await refresh(server, tokens.refresh_token);
      assert.equal(failed.status, 503);
      assert.equal(failed.body.error, 'temporarily_unavailable');
    }
    // The failures did not use the refresh token up.
    const ok = await refresh(server, tokens.refresh_token);
    assert.equal(ok.status, 200);

    const bad = await control(server, '/__fail-next-token?status=200');
    assert.equal(bad.status, 400);

    // Two refreshes with the same token at once: one rotates it, the other
    // finds it used (and the chain ends).
    assert.deepEqual((await control(server, '/__token-delay?ms=200')).body, { token_delay_ms: 200 });
    const [a, b] = await Promise.all([refresh(server, ok.body.refresh_token), refresh(server, ok.body.refresh_token)]);
    assert.deepEqual([a.status, b.status].sort(), [200, 400]);
    assert.equal((a.status === 400 ? a : b).body.error, 'invalid_grant');
    await control(server, '/__token-delay?ms=0');

    let counts = await stats(server);
    assert.equal(counts.token_injected_failures, 2);
    assert.equal(counts.pending_injected_failures, 0);
    assert.equal(counts.chains[0].refresh_requests, 3);
    assert.equal(counts.chains[0].reused, 1);

    // A fresh grant, then every grant revoked from outside.
    const fresh = (await exchange(server, await authorize(server, X_SCOPE))).body;
    assert.deepEqual((await control(server, '/__revoke-grants')).body, { revoked: 2 });
    const refused = await refresh(server, fresh.refresh_token);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');

    counts = await stats(server);
    assert.equal(counts.chains.length, 2);
    assert.equal(counts.chains[1].revoked, true);
    assert.equal(counts.chains[1].failed, 1);
    assert.equal(counts.token_requests.refresh_token, 4);
  } finally {
    await server.stop();
  }
});

test('access tokens expire after access_token_ttl', TIMEOUT, async () => {
  const server = await start({
    profile: 'linkedin',
    redirect_uris: [REDIRECT],
    client_secret: SECRET,
    auto_approve: 'user-2',
    access_token_ttl: 1,
  });
  try {
    const tokens = (await exchange(server, await authorize(server, LINKEDIN_SCOPE))).body;
    assert.equal(tokens.expires_in, 1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const expired = await fetch(`${server.base}/v2/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(expired.status, 401);
    const renewed = await refresh(server, tokens.refresh_token);
    assert.equal(renewed.status, 200);
    const fine = await fetch(`${server.base}/v2/userinfo`, {
      headers: { authorization: `Bearer ${renewed.body.access_token}` },
    });
    assert.equal(fine.status, 200);
  } finally {
    await server.stop();
  }
});

// The pages a browser fills in, posted as a browser would.
function formAction(html, label) {
  const forms = [...html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)];
  const form = forms.find(([, , inner]) => inner.includes(`>${label}</button>`));
  assert.ok(form, `a form with a "${label}" button`);
  return form[1];
}

async function postForm(jar, base, action, fields = {}) {
  return followToRedirectUri(jar, new URL(action, base).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

test('sign-in and consent pages: Allow gives a code, Cancel gives access_denied', TIMEOUT, async () => {
  const server = await start({
    profile: 'linkedin',
    redirect_uris: [REDIRECT],
    client_secret: SECRET,
    password: 'pw-1',
  });
  try {
    const jar = new Jar();
    const { verifier, challenge } = pkce();
    const state = 'consent-state';
    let step = await followToRedirectUri(jar, authorizationUrl(server, { scope: LINKEDIN_SCOPE, state, challenge }));
    assert.equal(step.callback, undefined);
    assert.equal(step.response.status, 200);
    let html = await step.response.text();
    assert.match(html, /<label for="username">Username<\/label>/);
    assert.match(html, /<label for="password">Password<\/label>/);

    // A wrong password shows the form again, without repeating what was typed.
    step = await postForm(jar, server.base, formAction(html, 'Sign in'), { username: 'ann', password: 'guess-77' });
    html = await step.response.text();
    assert.match(html, /Wrong username or password/);
    assert.ok(!html.includes('guess-77'));

    step = await postForm(jar, server.base, formAction(html, 'Sign in'), { username: 'ann', password: 'pw-1' });
    assert.equal(step.response.status, 200);
    html = await step.response.text();
    assert.match(html, /Allow access/);
    assert.match(html, /w_member_social/);

    step = await postForm(jar, server.base, formAction(html, 'Allow'));
    assert.ok(step.callback);
    assert.equal(step.callback.searchParams.get('state'), state);
    const tokens = await exchange(server, { code: step.callback.searchParams.get('code'), verifier });
    assert.equal(tokens.status, 200);
    const me = await (await fetch(`${server.base}/v2/userinfo`, {
      headers: { authorization: `Bearer ${tokens.body.access_token}` },
    })).json();
    assert.equal(me.sub, 'ann');

    // The next authorization in the same browser skips the sign-in but asks
    // for consent again, and makes a chain of its own.
    step = await followToRedirectUri(jar, authorizationUrl(server, { scope: LINKEDIN_SCOPE, state: 'again', challenge }));
    html = await step.response.text();
    assert.match(html, /Allow access/);
    assert.ok(!html.includes('Username'));
    step = await postForm(jar, server.base, formAction(html, 'Allow'));
    const second = await exchange(server, { code: step.callback.searchParams.get('code'), verifier });
    assert.equal(second.status, 200);
    assert.equal((await stats(server)).chains.length, 2);

    // Cancel on the consent page of a new browser.
    const other = new Jar();
    step = await followToRedirectUri(other, authorizationUrl(server, { scope: LINKEDIN_SCOPE, state: 's2', challenge }));
    html = await step.response.text();
    step = await postForm(other, server.base, formAction(html, 'Sign in'), { username: 'bob', password: 'pw-1' });
    html = await step.response.text();
    step = await postForm(other, server.base, formAction(html, 'Cancel'));
    assert.equal(step.callback.searchParams.get('error'), 'access_denied');
    assert.equal(step.callback.searchParams.get('state'), 's2');
    assert.equal(step.callback.searchParams.get('code'), null);

    // Cancel on the sign-in page.
    const third = new Jar();
    step = await followToRedirectUri(third, authorizationUrl(server, { scope: LINKEDIN_SCOPE, state: 's3', challenge }));
    html = await step.response.text();
    step = await postForm(third, server.base, formAction(html, 'Cancel'));
    assert.equal(step.callback.searchParams.get('error'), 'access_denied');
    assert.equal(step.callback.searchParams.get('state'), 's3');

    const counts = await stats(server);
    assert.equal(counts.authorizations.requests, 4);
    assert.equal(counts.authorizations.codes_issued, 2);
    assert.equal(counts.authorizations.denied, 2);
    assertNoSecrets(server, [SECRET, 'pw-1', tokens.body.access_token, tokens.body.refresh_token]);
  } finally {
    await server.stop();
  }
});

test('bad settings are refused with a message', TIMEOUT, async () => {
  for (const [settings, message] of [
    [{ profile: 'x' }, /redirect_uris/],
    [{ profile: 'github', redirect_uris: [REDIRECT] }, /profile must be one of/],
    [{ redirect_uris: [REDIRECT], host: '0.0.0.0' }, /loopback/],
    [{ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }, /token_endpoint_auth_method/],
    [{ redirect_uris: [REDIRECT], colour: 'blue' }, /unknown setting "colour"/],
    [{ redirect_uris: ['http://127.0.0.1:9/cb#part'] }, /redirect_uris must not contain fragments/],
  ]) {
    const child = spawn(process.execPath, [SERVER, JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(stderr, message);
    assert.equal(stdout, '');
  }
});

test('exit_with_stdin: the server ends when its standard input closes', TIMEOUT, async () => {
  const child = spawn(process.execPath, [SERVER, JSON.stringify({ redirect_uris: [REDIRECT], exit_with_stdin: true })], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const [line] = await once(child.stdout, 'data');
  assert.equal(JSON.parse(String(line)).ready, true);
  child.stdin.end();
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});
