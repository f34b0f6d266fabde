// How a simulated button fails, as classes tests and the CLI can tell apart (instanceof).

/** CONNECT refused by the broker (CONNACK return code 1–5). */
export class ConnectRefusedError extends Error {
  readonly returnCode: number;
  constructor(deviceId: string, returnCode: number, reason: string, options?: ErrorOptions) {
    super(
      `device ${deviceId}: the broker refused CONNECT (CONNACK return code ${returnCode}: ${reason || 'unknown'})`,
      options,
    );
    this.name = 'ConnectRefusedError';
    this.returnCode = returnCode;
  }
}

/**
 * The server's TLS certificate failed verification (not signed by the CA given, expired, made
 * for another host name): nothing was sent, not even the secret. Retrying cannot help.
 */
export class CertificateRefusedError extends Error {
  readonly code: string;
  constructor(deviceId: string, code: string, reason: string, options?: ErrorOptions) {
    super(`device ${deviceId}: the server's TLS certificate was not accepted (${code}: ${reason})`, options);
    this.name = 'CertificateRefusedError';
    this.code = code;
  }
}

/** Node's codes for a certificate that failed verification (OpenSSL's X509_V_ERR_* names, and the host-name check). */
export function isCertificateError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    /^(CERT_|UNABLE_TO_(GET|VERIFY|DECRYPT)|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|ERR_TLS_CERT_ALTNAME_INVALID$|HOSTNAME_MISMATCH$)/.test(
      code,
    )
  );
}

/** A publish that can no longer be acknowledged: the device was closed or killed first. */
export class DeviceClosedError extends Error {
  constructor(deviceId: string, what: string) {
    super(`device ${deviceId}: ${what}: the device was closed before the broker acknowledged it`);
    this.name = 'DeviceClosedError';
  }
}
