import * as client from 'openid-client';
import type { OidcSettings } from './oidc-settings.js';

/** What a sign-in keeps between the redirect to the provider and its callback (the flow cookie). */
export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The redirect URI sent to the provider: the token request must name the same. */
  redirectUri: string;
}

/** Whom the provider signed in: its identity and the claims of the ID token and userinfo. */
export interface OidcSignIn {
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
}

/**
 * The relying party, with openid-client doing the protocol (authorization code + PKCE S256,
 * state, nonce, `iss` and ID token checks). The provider's metadata is discovered at the first
 * sign-in and kept; a failed discovery is tried again at the next one, so the server starts while
 * the provider is down.
 */
export function createOidcClient(settings: OidcSettings): {
  begin(redirectUri: string): Promise<{ url: string; flow: OidcFlow }>;
  /** Checks the callback URL against the flow and exchanges the code; throws what openid-client throws. */
  finish(callbackUrl: URL, flow: OidcFlow): Promise<OidcSignIn>;
} {
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = (): Promise<client.Configuration> => {
    discovered ??= client
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        settings.clientSecret,
        client.ClientSecretBasic(settings.clientSecret),
        // Settings allow http:// only for a provider on loopback (oidc-settings.ts).
        new URL(settings.issuer).protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {},
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw new OidcProviderUnreachable(settings.issuer, error);
      });
    return discovered;
  };

  return {
    async begin(redirectUri) {
      const config = await configuration();
      const flow: OidcFlow = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
        redirectUri,
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: settings.scopes.join(' '),
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url: url.href, flow };
    },
    async finish(callbackUrl, flow) {
      const config = await configuration();
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (idClaims === undefined) throw new Error('the provider sent no ID token');
      let claims: Record<string, unknown> = { ...idClaims };
      // Providers often put profile and group claims in userinfo only (when an access token is
      // issued too): ask it when the ID token lacks what we map.
      const wanted = [settings.roleClaim, settings.nameClaim];
      if (wanted.some((claim) => claims[claim] === undefined) && config.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...info, ...claims };
      }
      return { issuer: idClaims.iss, subject: idClaims.sub, claims };
    },
  };
}

/** Discovery failed: the provider is down, or the issuer is wrong. */
export class OidcProviderUnreachable extends Error {
  constructor(issuer: string, cause: unknown) {
    super(
      `cannot read the identity provider's configuration at ${issuer}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
