package dev.quark.autoconfigure.cluster;

import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.function.Supplier;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;

import dev.quark.cluster.transport.grpc.SiloTls;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.ssl.SslBundleRegistrar;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundleKey;
import org.springframework.boot.ssl.SslBundleRegistry;
import org.springframework.boot.ssl.SslManagerBundle;
import org.springframework.boot.ssl.SslOptions;
import org.springframework.boot.ssl.SslStoreBundle;

/**
 * Registers the SSL bundle {@value #NAME} that Spring Boot's gRPC server is given when silos talk over TLS: its
 * key and trust managers are the silo's {@link SiloTls} ones, which follow reloads of the application's bundle, so
 * the server presents a reloaded certificate on its next connection without a restart. The silo's material is
 * looked up on first use, once the server is built.
 */
final class SiloTlsServerBundle implements SslBundleRegistrar {

    /** The name of the bundle. */
    static final String NAME = "quark-cluster-transport";

    private static final Provider PROVIDER = new Provider("QuarkSiloTls", "1.0", "A silo's TLS managers") {
    };

    private final ObjectProvider<SiloTls> tls;

    SiloTlsServerBundle(ObjectProvider<SiloTls> tls) {
        this.tls = tls;
    }

    @Override
    public void registerBundles(SslBundleRegistry registry) {
        SslManagerBundle managers = SslManagerBundle.of(new SuppliedKeyManagerFactory(this::keyManagers),
                new SuppliedTrustManagerFactory(this::trustManagers));
        registry.registerBundle(NAME,
                SslBundle.of(SslStoreBundle.NONE, SslBundleKey.NONE, SslOptions.NONE, SslBundle.DEFAULT_PROTOCOL, managers));
    }

    private KeyManager[] keyManagers() {
        return new KeyManager[] { this.tls.getObject().keyManager() };
    }

    private TrustManager[] trustManagers() {
        TrustManager trust = this.tls.getObject().trustManager();
        if (trust != null) {
            return new TrustManager[] { trust };
        }
        try {
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            return jdk.getTrustManagers();
        }
        catch (NoSuchAlgorithmException | KeyStoreException ex) {
            throw new IllegalStateException("Cannot load the JDK's default trust managers", ex);
        }
    }

    /**
     * A key manager factory whose managers come from a supplier, asked each time.
     */
    static final class SuppliedKeyManagerFactory extends KeyManagerFactory {

        SuppliedKeyManagerFactory(Supplier<KeyManager[]> managers) {
            super(new KeyManagerFactorySpi() {
                @Override
                protected void engineInit(KeyStore store, char[] password) {
                }

                @Override
                protected void engineInit(ManagerFactoryParameters parameters) {
                }

                @Override
                protected KeyManager[] engineGetKeyManagers() {
                    return managers.get();
                }
            }, PROVIDER, KeyManagerFactory.getDefaultAlgorithm());
        }
    }

    /**
     * A trust manager factory whose managers come from a supplier, asked each time.
     */
    static final class SuppliedTrustManagerFactory extends TrustManagerFactory {

        SuppliedTrustManagerFactory(Supplier<TrustManager[]> managers) {
            super(new TrustManagerFactorySpi() {
                @Override
                protected void engineInit(KeyStore store) {
                }

                @Override
                protected void engineInit(ManagerFactoryParameters parameters) {
                }

                @Override
                protected TrustManager[] engineGetTrustManagers() {
                    return managers.get();
                }
            }, PROVIDER, TrustManagerFactory.getDefaultAlgorithm());
        }
    }
}
