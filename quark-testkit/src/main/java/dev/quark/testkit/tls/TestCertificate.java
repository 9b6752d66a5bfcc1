package dev.quark.testkit.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;

/**
 * A certificate issued by a {@link TestCertificateAuthority}, with its private key.
 *
 * @param privateKey the private key
 * @param certificate the certificate
 * @param issuer the certificate of the authority that issued it
 */
public record TestCertificate(PrivateKey privateKey, X509Certificate certificate, X509Certificate issuer) {

    private static final char[] PASSWORD = "quark".toCharArray();

    /**
     * Validates the components.
     * @param privateKey the private key
     * @param certificate the certificate
     * @param issuer the issuer's certificate
     */
    public TestCertificate {
        Objects.requireNonNull(privateKey, "privateKey must not be null");
        Objects.requireNonNull(certificate, "certificate must not be null");
        Objects.requireNonNull(issuer, "issuer must not be null");
    }

    /**
     * Returns key managers that present this certificate (followed by its issuer's).
     * @return the key managers
     */
    public KeyManager[] keyManagers() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("silo", this.privateKey, PASSWORD, new X509Certificate[] { this.certificate, this.issuer });
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, PASSWORD);
            return factory.getKeyManagers();
        }
        catch (GeneralSecurityException | IOException ex) {
            throw new IllegalStateException("Cannot make key managers for " + this.certificate.getSubjectX500Principal(),
                    ex);
        }
    }

    /**
     * Returns the certificate chain in PEM (this certificate, then its issuer's), as a Spring SSL bundle's key store
     * takes it.
     * @return the PEM text
     */
    public String certificatePem() {
        return Pem.certificate(this.certificate) + Pem.certificate(this.issuer);
    }

    /**
     * Returns the private key in PEM (PKCS #8), as a Spring SSL bundle's key store takes it.
     * @return the PEM text
     */
    public String privateKeyPem() {
        return Pem.encode("PRIVATE KEY", this.privateKey.getEncoded());
    }
}
