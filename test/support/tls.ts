/** A throwaway certificate authority and a server certificate it signed, made in the test. */
import forge from 'node-forge';

export interface Pem {
  cert: string;
  key: string;
}

function newCertificate(
  subject: string,
  issuer: { cert?: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } | undefined,
  extensions: object[],
) {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `0${forge.util.bytesToHex(forge.random.getBytesSync(8))}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer((issuer?.cert ?? cert).subject.attributes);
  cert.setExtensions(extensions);
  cert.sign(issuer?.key ?? keys.privateKey, forge.md.sha256.create());
  return { cert, keys, pem: { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) } };
}

export function makeCertificateAuthority(name: string): { pem: Pem; issue(hostName: string): Pem } {
  const ca = newCertificate(name, undefined, [
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true },
  ]);
  return {
    pem: ca.pem,
    issue: (hostName) =>
      newCertificate(hostName, { cert: ca.cert, key: ca.keys.privateKey }, [
        { name: 'basicConstraints', cA: false },
        { name: 'subjectAltName', altNames: [{ type: 2, value: hostName }] },
      ]).pem,
  };
}
