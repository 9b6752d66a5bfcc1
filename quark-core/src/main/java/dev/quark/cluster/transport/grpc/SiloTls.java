package dev.quark.cluster.transport.grpc;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.TlsServerCredentials.ClientAuth;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS material of a silo's {@link GrpcTransport}: the certificate it presents (as a server to its peers, and
 * as a client when it connects to them) and the certificate authorities it trusts, with mutual TLS when the
 * server requires a client certificate ({@link ClientAuth#REQUIRE}).
 * <p>
 * The material can be replaced while the silo runs ({@link #update}): every handshake asks the material held at
 * that moment, so new connections, reconnections of broken ones included, use the new certificate and trust, and a
 * {@link GrpcTransport} given this material then moves its links to new connections and asks its peers to move
 * theirs to it. A client checks that the peer's certificate names the
 * host it connects to (the peer's advertised address), as HTTPS does, and the silo's server that the certificate a
 * peer presents names the host its envelopes come from (the address that peer advertises, where answers go), so that
 * a certificate vouches for one address, unless the material is made
 * {@linkplain #withoutHostnameCheck() without that check} (certificates issued to a service name rather than to each
 * silo's address): the chain must lead to a trusted authority either way.
 * <pre>{@code
 * SiloTls tls = SiloTls.of(keyManagerFactory.getKeyManagers(), trustManagerFactory.getTrustManagers(),
 *         ClientAuth.REQUIRE);
 * GrpcTransport transport = GrpcTransport.selfHosted(settings, bind, null, tls);
 * }</pre>
 */
public final class SiloTls {

    private static final Logger logger = LoggerFactory.getLogger(SiloTls.class);

    private final ReloadableKeyManager keyManager;

    private final @Nullable ReloadableTrustManager trustManager;

    private final ClientAuth clientAuth;

    private final boolean hostnameChecked;

    /** Told after each {@link #update}; shared with the copy {@link #withoutHostnameCheck()} makes. */
    private final List<Runnable> updateListeners;

    private SiloTls(ReloadableKeyManager keyManager, @Nullable ReloadableTrustManager trustManager,
            ClientAuth clientAuth, boolean hostnameChecked, List<Runnable> updateListeners) {
        this.keyManager = keyManager;
        this.trustManager = trustManager;
        this.clientAuth = clientAuth;
        this.hostnameChecked = hostnameChecked;
        this.updateListeners = updateListeners;
    }

    /**
     * Creates the TLS material of a silo.
     * @param keyManagers the silo's certificate and private key; one must be an {@code X509ExtendedKeyManager}
     * @param trustManagers the authorities to trust, {@code null} for the JDK's default ones; one must be an
     * {@code X509ExtendedTrustManager}
     * @param clientAuth whether the silo's server asks its peers for their certificate
     * @return the material
     * @throws IllegalArgumentException when a manager is missing, or client certificates are asked for without
     * authorities to check them with
     */
    public static SiloTls of(KeyManager[] keyManagers, TrustManager @Nullable [] trustManagers,
            ClientAuth clientAuth) {
        Objects.requireNonNull(clientAuth, "clientAuth must not be null");
        if (trustManagers == null && clientAuth != ClientAuth.NONE) {
            throw new IllegalArgumentException("Client authentication " + clientAuth + " needs certificate "
                    + "authorities to check the peers' certificates with, but no trust material was given");
        }
        return new SiloTls(new ReloadableKeyManager(keyManagers),
                (trustManagers != null) ? new ReloadableTrustManager(trustManagers) : null, clientAuth, true,
                new CopyOnWriteArrayList<>());
    }

    /**
     * Returns this material without the host name check of the peers' certificates: a silo still checks that a
     * peer's certificate chain leads to a trusted authority, but not that it names the peer's advertised address
     * (neither when it connects to the peer nor when the peer connects to it). Updates of either reach both.
     * @return the material without the check
     * @throws IllegalStateException when the material has no trust material of its own: without the check, the JDK's
     * default authorities would vouch for any certificate a public authority issued, to any name, as any silo
     */
    public SiloTls withoutHostnameCheck() {
        if (this.trustManager == null) {
            throw new IllegalStateException("Silos can skip the host name check of their peers' certificates only "
                    + "with certificate authorities of their own to trust: without, any certificate of a public "
                    + "authority would be taken for a silo");
        }
        return new SiloTls(this.keyManager, this.trustManager, this.clientAuth, false, this.updateListeners);
    }

    /**
     * Returns whether a silo checks that a peer's certificate names the address it connects to, and that the
     * certificate a peer presents when it connects names the address the peer's envelopes come from.
     * @return whether the host name is checked
     */
    public boolean checksHostname() {
        return this.hostnameChecked;
    }

    /**
     * Replaces the material from the next handshake on; the transports given this material then move their open links
     * to new connections, which use it.
     * @param keyManagers the new certificate and private key
     * @param trustManagers the new authorities to trust; {@code null} only when the material had none
     * @throws IllegalArgumentException when a manager is missing, or trust material is added or removed (it is
     * fixed when the transport starts)
     */
    public void update(KeyManager[] keyManagers, TrustManager @Nullable [] trustManagers) {
        ReloadableTrustManager trust = this.trustManager;
        if ((trust == null) != (trustManagers == null)) {
            throw new IllegalArgumentException("Trust material cannot be " + ((trust == null) ? "added to" : "removed from")
                    + " the TLS material of a running silo");
        }
        ReloadableKeyManager.pick(keyManagers);
        if (trust != null && trustManagers != null) {
            ReloadableTrustManager.pick(trustManagers);
            trust.update(trustManagers);
        }
        this.keyManager.update(keyManagers);
        for (Runnable listener : this.updateListeners) {
            try {
                listener.run();
            }
            catch (RuntimeException ex) {
                // The material is replaced all the same: new connections use it.
                logger.warn("The TLS material was updated, but its open connections may not all move to it: {}",
                        ex.toString(), ex);
            }
        }
    }

    /**
     * Registers what to do once the material was replaced ({@link #update}): a {@link GrpcTransport} renews its
     * open connections, so that they use the new material too.
     * @param listener told on the thread that updates the material, after the update
     * @return what removes the listener
     */
    Runnable onUpdate(Runnable listener) {
        Objects.requireNonNull(listener, "listener must not be null");
        this.updateListeners.add(listener);
        return () -> this.updateListeners.remove(listener);
    }

    /**
     * Returns whether the silo's server asks its peers for their certificate.
     * @return the client authentication
     */
    public ClientAuth clientAuth() {
        return this.clientAuth;
    }

    /**
     * Returns the key manager that follows {@link #update updates}, for a server built elsewhere.
     * @return the key manager
     */
    public KeyManager keyManager() {
        return this.keyManager;
    }

    /**
     * Returns the trust manager that follows {@link #update updates}, for a server built elsewhere.
     * @return the trust manager, or {@code null} when the JDK's default authorities are trusted
     */
    public @Nullable TrustManager trustManager() {
        return this.trustManager;
    }

    /**
     * Returns the credentials of the silo's gRPC server.
     * @return TLS server credentials
     */
    public ServerCredentials serverCredentials() {
        TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder()
            .keyManager(this.keyManager)
            .clientAuth(this.clientAuth);
        TrustManager trust = this.trustManager;
        if (trust != null) {
            builder.trustManager(trust);
        }
        return builder.build();
    }

    /**
     * Returns the credentials of the silo's channels to its peers: it presents its certificate and checks theirs.
     * @return TLS channel credentials
     */
    public ChannelCredentials channelCredentials() {
        TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder().keyManager(this.keyManager);
        ReloadableTrustManager trust = this.trustManager;
        if (trust != null) {
            builder.trustManager(this.hostnameChecked ? trust : new HostnameIgnoringTrustManager(trust));
        }
        return builder.build();
    }

    @Override
    public String toString() {
        return "SiloTls[clientAuth=" + this.clientAuth + ", trust=" + ((this.trustManager != null) ? "given" : "JDK default")
                + (this.hostnameChecked ? "" : ", no host name check") + "]";
    }
}
