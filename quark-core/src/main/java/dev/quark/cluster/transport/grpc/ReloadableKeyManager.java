package dev.quark.cluster.transport.grpc;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

import org.jspecify.annotations.Nullable;

/**
 * A key manager that hands every TLS handshake to the key manager it holds now, so that a silo presents a new
 * certificate on its next connection once {@link #update updated}, without a restart. Connections already open
 * keep the certificate they were opened with.
 */
final class ReloadableKeyManager extends X509ExtendedKeyManager {

    private volatile X509ExtendedKeyManager current;

    ReloadableKeyManager(KeyManager[] keyManagers) {
        this.current = pick(keyManagers);
    }

    /**
     * Uses other key material from the next handshake on.
     * @param keyManagers the managers of the new material; one of them must be an {@link X509ExtendedKeyManager}
     */
    void update(KeyManager[] keyManagers) {
        this.current = pick(keyManagers);
    }

    static X509ExtendedKeyManager pick(KeyManager[] keyManagers) {
        Objects.requireNonNull(keyManagers, "keyManagers must not be null");
        for (KeyManager keyManager : keyManagers) {
            if (keyManager instanceof X509ExtendedKeyManager x509) {
                return x509;
            }
        }
        throw new IllegalArgumentException("TLS between silos needs an X509ExtendedKeyManager (a certificate and its "
                + "private key), but the key managers given were " + describe(keyManagers));
    }

    static String describe(Object[] managers) {
        if (managers.length == 0) {
            return "none";
        }
        StringBuilder names = new StringBuilder();
        for (Object manager : managers) {
            names.append((names.isEmpty()) ? "" : ", ").append(manager.getClass().getName());
        }
        return names.toString();
    }

    @Override
    public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
        return this.current.getClientAliases(keyType, issuers);
    }

    @Override
    public @Nullable String chooseClientAlias(String[] keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
        return this.current.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
        return this.current.getServerAliases(keyType, issuers);
    }

    @Override
    public @Nullable String chooseServerAlias(String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
        return this.current.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public X509Certificate @Nullable [] getCertificateChain(String alias) {
        return this.current.getCertificateChain(alias);
    }

    @Override
    public @Nullable PrivateKey getPrivateKey(String alias) {
        return this.current.getPrivateKey(alias);
    }

    @Override
    public @Nullable String chooseEngineClientAlias(String[] keyType, Principal @Nullable [] issuers,
            @Nullable SSLEngine engine) {
        return this.current.chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public @Nullable String chooseEngineServerAlias(String keyType, Principal @Nullable [] issuers,
            @Nullable SSLEngine engine) {
        return this.current.chooseEngineServerAlias(keyType, issuers, engine);
    }
}
