package dev.quark.cluster.transport.grpc;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A silo's trust in its peers' certificates without the host name check: a server's certificate chain is checked
 * by the wrapped manager as before — a trusted authority, validity, key usage, and the algorithm constraints of the
 * handshake ({@code jdk.tls.disabledAlgorithms}, the session's signature algorithms) — except that it need not name
 * the address the silo connected to (certificates issued to a service name rather than to each silo's advertised
 * address). The manager is handed the handshake's engine seen through {@link EngineWithoutIdentification}, whose
 * parameters name no endpoint identification algorithm: the JDK's manager then skips only the identity check.
 * Client certificates are checked as the wrapped manager checks them.
 */
final class HostnameIgnoringTrustManager extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager trust;

    HostnameIgnoringTrustManager(X509ExtendedTrustManager trust) {
        this.trust = trust;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        this.trust.checkServerTrusted(chain, authType,
                (engine != null) ? new EngineWithoutIdentification(engine) : null);
    }

    /**
     * A connection over a socket, which gRPC's Netty transport never makes: checked without the socket's handshake
     * constraints, so that the host name is not checked either.
     */
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        this.trust.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        this.trust.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        this.trust.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        this.trust.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        this.trust.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return this.trust.getAcceptedIssuers();
    }
}
