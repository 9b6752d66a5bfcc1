package dev.quark.autoconfigure.cluster;

import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;

import dev.quark.cluster.transport.grpc.SiloTls;
import io.grpc.TlsServerCredentials;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;

/**
 * Makes a silo's {@link SiloTls} from the Spring SSL bundle named by {@code quark.cluster.transport.ssl.bundle},
 * and keeps it up to date when Spring Boot reloads the bundle ({@code spring.ssl.bundle.*.reload-on-update}):
 * the silo's next connections, as server and as client, use the reloaded certificate and trust store, and its
 * transport moves its open links to new connections.
 */
final class SiloTlsFromBundle {

    static final String BUNDLE_PROPERTY = "quark.cluster.transport.ssl.bundle";

    static final String CLIENT_AUTH_PROPERTY = "quark.cluster.transport.ssl.client-auth";

    static final String VERIFY_HOSTNAME_PROPERTY = "quark.cluster.transport.ssl.verify-hostname";

    private static final Logger logger = LoggerFactory.getLogger(SiloTlsFromBundle.class);

    private SiloTlsFromBundle() {
    }

    /**
     * Makes the TLS material and registers for the bundle's updates.
     * @param bundles the application's SSL bundles
     * @param name the bundle's name
     * @param configured the configured client authentication, {@code null} for the default: require when the
     * bundle has a trust store, none otherwise
     * @param verifyHostname whether a silo checks that a peer's certificate names the peer's address
     * @return the material
     * @throws InvalidConfigurationPropertyValueException naming the property whose value does not work
     */
    static SiloTls create(SslBundles bundles, String name, QuarkClusterProperties.@Nullable ClientAuth configured,
            boolean verifyHostname) {
        SslBundle bundle = bundle(bundles, name);
        TrustManager @Nullable [] trust = trustManagers(bundle);
        TlsServerCredentials.ClientAuth clientAuth = clientAuth(configured, trust != null, name);
        SiloTls tls;
        try {
            tls = SiloTls.of(keyManagers(bundle, name), trust, clientAuth);
        }
        catch (IllegalArgumentException ex) {
            throw new InvalidConfigurationPropertyValueException(BUNDLE_PROPERTY, name, ex.getMessage());
        }
        bundles.addBundleUpdateHandler(name, (updated) -> update(tls, name, updated));
        if (verifyHostname) {
            return tls;
        }
        if (trust == null) {
            throw new InvalidConfigurationPropertyValueException(VERIFY_HOSTNAME_PROPERTY, false, "SSL bundle '" + name
                    + "' has no trust store: without the host name check, the JDK's default authorities would vouch "
                    + "for any certificate a public authority issued as any silo; add the cluster's authority to the "
                    + "bundle's trust store");
        }
        logger.warn("Silos do not check that their peers' certificates name the peers' addresses "
                + "(quark.cluster.transport.ssl.verify-hostname=false): a certificate that SSL bundle '{}' trusts is "
                + "taken for any silo", name);
        return tls.withoutHostnameCheck();
    }

    private static void update(SiloTls tls, String name, SslBundle updated) {
        try {
            tls.update(keyManagers(updated, name), trustManagers(updated));
            logger.info("SSL bundle '{}' was reloaded: new connections between silos use its new material, and the "
                    + "silo's links to its peers move to new connections", name);
        }
        catch (RuntimeException ex) {
            logger.error("SSL bundle '{}' was reloaded, but silos keep its previous material: {}", name,
                    ex.getMessage());
        }
    }

    private static SslBundle bundle(SslBundles bundles, String name) {
        try {
            return bundles.getBundle(name);
        }
        catch (NoSuchSslBundleException ex) {
            throw new InvalidConfigurationPropertyValueException(BUNDLE_PROPERTY, name, "There is no SSL bundle '"
                    + name + "' (bundles: " + bundles.getBundleNames() + "): define it with spring.ssl.bundle.pem."
                    + name + ".* or spring.ssl.bundle.jks." + name + ".*");
        }
    }

    private static KeyManager[] keyManagers(SslBundle bundle, String name) {
        if (bundle.getStores().getKeyStore() == null) {
            throw new InvalidConfigurationPropertyValueException(BUNDLE_PROPERTY, name, "SSL bundle '" + name
                    + "' has no key store: a silo needs a certificate and its private key to talk over TLS");
        }
        return bundle.getManagers().getKeyManagers();
    }

    private static TrustManager @Nullable [] trustManagers(SslBundle bundle) {
        return (bundle.getStores().getTrustStore() != null) ? bundle.getManagers().getTrustManagers() : null;
    }

    private static TlsServerCredentials.ClientAuth clientAuth(QuarkClusterProperties.@Nullable ClientAuth configured,
            boolean trustStore, String name) {
        if (configured == null) {
            return trustStore ? TlsServerCredentials.ClientAuth.REQUIRE : TlsServerCredentials.ClientAuth.NONE;
        }
        if (configured != QuarkClusterProperties.ClientAuth.NONE && !trustStore) {
            throw new InvalidConfigurationPropertyValueException(CLIENT_AUTH_PROPERTY, configured.name().toLowerCase(
                    java.util.Locale.ROOT), "SSL bundle '" + name + "' has no trust store to check the peers' "
                            + "certificates with: add one, or set client-auth to none");
        }
        return TlsServerCredentials.ClientAuth.valueOf(configured.name());
    }
}
