package dev.quark.autoconfigure.cluster;

import dev.quark.cluster.transport.grpc.SiloTls;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerProperties;

/**
 * Points Spring Boot's gRPC server at the silo's TLS material when silos talk over TLS
 * ({@code quark.cluster.transport.ssl.bundle}): sets {@code spring.grpc.server.ssl.bundle} to
 * {@value SiloTlsServerBundle#NAME} and {@code spring.grpc.server.ssl.client-auth} to the silo's client
 * authentication, so that the server presents the silo's certificate and, for mutual TLS, requires its peers'.
 * A server SSL setting that contradicts the silo's is refused, naming it.
 */
final class GrpcServerSslForSilos implements BeanPostProcessor {

    private final String bundle;

    private final ObjectProvider<SiloTls> tls;

    GrpcServerSslForSilos(String bundle, ObjectProvider<SiloTls> tls) {
        this.bundle = bundle;
        this.tls = tls;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof GrpcServerProperties server) {
            apply(server.getSsl());
        }
        return bean;
    }

    private void apply(GrpcServerProperties.Ssl ssl) {
        String configured = ssl.getBundle();
        if (configured != null && !configured.equals(this.bundle) && !configured.equals(SiloTlsServerBundle.NAME)) {
            throw new InvalidConfigurationPropertyValueException("spring.grpc.server.ssl.bundle", configured,
                    "The gRPC server serves the silos' transport over TLS with " + SiloTlsFromBundle.BUNDLE_PROPERTY
                            + "=" + this.bundle + ": leave spring.grpc.server.ssl.bundle unset");
        }
        if (Boolean.FALSE.equals(ssl.getEnabled())) {
            throw new InvalidConfigurationPropertyValueException("spring.grpc.server.ssl.enabled", false,
                    "The gRPC server serves the silos' transport over TLS with " + SiloTlsFromBundle.BUNDLE_PROPERTY
                            + "=" + this.bundle + ": leave spring.grpc.server.ssl.enabled unset");
        }
        if (!ssl.isSecure()) {
            throw new InvalidConfigurationPropertyValueException("spring.grpc.server.ssl.secure", false,
                    "Silos check their peers' certificates (" + SiloTlsFromBundle.BUNDLE_PROPERTY + "="
                            + this.bundle + "): leave spring.grpc.server.ssl.secure unset");
        }
        ssl.setBundle(SiloTlsServerBundle.NAME);
        ssl.setClientAuth(this.tls.getObject().clientAuth());
    }
}
