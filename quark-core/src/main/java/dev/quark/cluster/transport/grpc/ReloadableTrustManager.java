package dev.quark.cluster.transport.grpc;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager that checks every TLS handshake with the trust manager it holds now, so that a silo trusts new
 * certificate authorities on its next connection once {@link #update updated}, without a restart. It keeps the
 * held manager's checks, the host name check of the peer's certificate included.
 */
final class ReloadableTrustManager extends X509ExtendedTrustManager {

    private volatile X509ExtendedTrustManager current;

    ReloadableTrustManager(TrustManager[] trustManagers) {
        this.current = pick(trustManagers);
    }

    /**
     * Trusts other authorities from the next handshake on.
     * @param trustManagers the managers of the new trust material; one must be an {@link X509ExtendedTrustManager}
     */
    void update(TrustManager[] trustManagers) {
        this.current = pick(trustManagers);
    }

    static X509ExtendedTrustManager pick(TrustManager[] trustManagers) {
        Objects.requireNonNull(trustManagers, "trustManagers must not be null");
        for (TrustManager trustManager : trustManagers) {
            if (trustManager instanceof X509ExtendedTrustManager x509) {
                return x509;
            }
        }
        throw new IllegalArgumentException("TLS between silos needs an X509ExtendedTrustManager (certificate "
                + "authorities to trust), but the trust managers given were "
                + ReloadableKeyManager.describe(trustManagers));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        this.current.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        this.current.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        this.current.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        this.current.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        this.current.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        this.current.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return this.current.getAcceptedIssuers();
    }
}
