package dev.quark.autoconfigure.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportMetrics;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.grpc.SiloTls;
import io.grpc.BindableService;
import io.grpc.ServerBuilder;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.grpc.server.ServerBuilderCustomizer;

/**
 * Auto-configuration of the gRPC transport between silos, when {@code quark.cluster.enabled=true} and
 * {@code quark.cluster.transport.type=grpc} (any case, as Spring Boot binds enums): a {@link GrpcTransport} whose receiving side, a
 * {@link BindableService}, is served by Spring Boot's gRPC server ({@code spring.grpc.server.address},
 * {@code spring.grpc.server.port}), and a server customizer that lets peers' keep-alive pings and envelopes up
 * to the transport's limits through. The silo joins the cluster once that server listens
 * ({@link JoinWhenGrpcServerStarts}), so that no peer reads its entry and dials a closed port, and leaves it
 * when the gRPC server starts shutting down
 * ({@link LeaveBeforeGrpcServerShutdown}), while it still receives its peers' messages; a cluster client reads the
 * membership table, and so routes calls, once that server listens, and stops when it starts shutting down, once
 * the answers to its calls in flight are in.
 * <p>
 * The silo advertises {@code quark.cluster.silo.advertised-address} and {@code -port}, else the gRPC server's
 * address and port; the port must be fixed (not 0), since the silo's address is settled when the transport
 * is built, before the server picks a port.
 * <p>
 * With {@code quark.cluster.transport.ssl.bundle}, silos talk over TLS with the key and trust material of that
 * Spring SSL bundle ({@link SiloTls}, mutual TLS by default when the bundle has a trust store): the silo's channels
 * to its peers use it, and so does the gRPC server, whose {@code spring.grpc.server.ssl.bundle} and
 * {@code client-auth} Quark sets ({@link GrpcServerSslForSilos}, {@link SiloTlsServerBundle}). When Spring Boot
 * reloads the bundle, new connections use the new material, and the silo moves its open links to its peers to new
 * connections. Without a bundle the start fails unless both the
 * server's address and the advertised one are loopback addresses or {@code quark.cluster.transport.plaintext=true}.
 */
@AutoConfiguration(before = QuarkClusterAutoConfiguration.class,
        beforeName = "org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration")
@ConditionalOnClass({ GrpcTransport.class, BindableService.class, GrpcServerProperties.class })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "quark.cluster.enabled")
@ConditionalOnTransportType(QuarkClusterProperties.TransportType.GRPC)
@EnableConfigurationProperties({ QuarkClusterProperties.class, GrpcServerProperties.class })
public final class QuarkClusterGrpcAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(Transport.class)
    GrpcTransport quarkClusterTransport(QuarkClusterProperties properties, GrpcServerProperties server,
            ObjectProvider<SiloTls> tls, ObjectProvider<GrpcTransportMetrics> metrics) {
        SiloAddress advertised = advertised(properties, server);
        SiloTls siloTls = tls.getIfAvailable();
        if (siloTls == null) {
            requirePlaintextAllowed(properties, server, advertised);
        }
        return GrpcTransport.served(settings(properties), advertised, siloTls,
                metrics.getIfAvailable(() -> GrpcTransportMetrics.NONE));
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(SiloTlsFromBundle.BUNDLE_PROPERTY)
    SiloTls quarkClusterSiloTls(QuarkClusterProperties properties, SslBundles bundles) {
        QuarkClusterProperties.Ssl ssl = properties.getTransport().getSsl();
        return SiloTlsFromBundle.create(bundles, Objects.requireNonNull(ssl.getBundle()), ssl.getClientAuth(),
                ssl.isVerifyHostname());
    }

    @Bean
    @ConditionalOnProperty(SiloTlsFromBundle.BUNDLE_PROPERTY)
    static SiloTlsServerBundle quarkClusterSiloTlsServerBundle(ObjectProvider<SiloTls> tls) {
        return new SiloTlsServerBundle(tls);
    }

    @Bean
    @ConditionalOnProperty(SiloTlsFromBundle.BUNDLE_PROPERTY)
    static GrpcServerSslForSilos quarkClusterGrpcServerSsl(Environment environment, ObjectProvider<SiloTls> tls) {
        return new GrpcServerSslForSilos(environment.getRequiredProperty(SiloTlsFromBundle.BUNDLE_PROPERTY), tls);
    }

    @Bean
    @ConditionalOnMissingBean(name = "quarkClusterGrpcService")
    BindableService quarkClusterGrpcService(GrpcTransport transport) {
        return transport.bindableService();
    }

    /**
     * The server customizer: peers' envelopes up to the transport's limits and their keep-alive pings let through,
     * and (unless {@code quark.cluster.transport.link-callbacks-on-event-loop=false}) the {@code Link} streams called
     * back on the thread that read their frames ({@link GrpcTransport#linkCallsOnTransportThreads()}). Ordered first,
     * so that an application's own customizer that sets a {@code callExecutor} runs after it and wins.
     */
    @Bean
    @ConditionalOnMissingBean(name = "quarkClusterGrpcServerCustomizer")
    @Order(Ordered.HIGHEST_PRECEDENCE)
    <T extends ServerBuilder<T>> ServerBuilderCustomizer<T> quarkClusterGrpcServerCustomizer(GrpcTransport transport,
            QuarkClusterProperties properties) {
        GrpcTransportSettings settings = transport.settings();
        boolean onEventLoop = properties.getTransport().isLinkCallbacksOnEventLoop();
        return (builder) -> {
            builder.maxInboundMessageSize(GrpcTransport.inboundLimit(settings))
                .permitKeepAliveTime(GrpcTransport.permittedKeepAliveMillis(settings), TimeUnit.MILLISECONDS)
                .permitKeepAliveWithoutCalls(true);
            if (onEventLoop) {
                builder.callExecutor(GrpcTransport.linkCallsOnTransportThreads());
            }
        };
    }

    @Bean
    @ConditionalOnMissingBean
    JoinWhenGrpcServerStarts quarkClusterJoinWhenGrpcServerStarts(ObjectProvider<ClusterSiloLifecycle> silo,
            ObjectProvider<ClusterClientLifecycle> client, GrpcServerProperties server) {
        return new JoinWhenGrpcServerStarts(silo, client, server.getPort());
    }

    @Bean
    @ConditionalOnMissingBean
    LeaveBeforeGrpcServerShutdown quarkClusterLeaveBeforeGrpcServerShutdown(ObjectProvider<ClusterSiloLifecycle> silo,
            ObjectProvider<ClusterClientLifecycle> client) {
        return new LeaveBeforeGrpcServerShutdown(silo, client);
    }

    static GrpcTransportSettings settings(QuarkClusterProperties properties) {
        QuarkClusterProperties.Transport transport = properties.getTransport();
        return GrpcTransportSettings.builder(properties.getName())
            .maxMessageSize((int) transport.getMaxMessageSize().toBytes())
            .maxInFlight(transport.getMaxInFlight())
            .inboundWindow(transport.getInboundWindow())
            .maxUnreadableFramesInARow(transport.getMaxUnreadableFramesInARow())
            .maxInvalidFrames(transport.getMaxInvalidFrames(), transport.getInvalidFramesWindow())
            .keepAlive(transport.getKeepAliveTime(), transport.getKeepAliveTimeout())
            .reconnectBackoff(transport.getReconnectBackoffMin(), transport.getReconnectBackoffMax())
            .goodbyeTimeout(transport.getGoodbyeTimeout())
            .build();
    }

    private static SiloAddress advertised(QuarkClusterProperties properties, GrpcServerProperties server) {
        QuarkClusterProperties.Silo silo = properties.getSilo();
        Integer port = silo.getAdvertisedPort();
        if (port == null) {
            Integer serverPort = server.getPort();
            if (serverPort == null || serverPort <= 0) {
                throw new InvalidConfigurationPropertyValueException("spring.grpc.server.port", serverPort,
                        "A silo needs a fixed gRPC port (its address is settled before the server picks a "
                                + "port): set spring.grpc.server.port, or quark.cluster.silo.advertised-port");
            }
            port = serverPort;
        }
        String host = silo.getAdvertisedAddress();
        if (host == null) {
            InetAddress bound = server.getAddress();
            if (bound == null || bound.isAnyLocalAddress()) {
                throw new InvalidConfigurationPropertyValueException("quark.cluster.silo.advertised-address", null,
                        "The gRPC server listens on every interface (spring.grpc.server.address is not set to one "
                                + "address), so peers cannot be told where to reach this silo: set "
                                + "quark.cluster.silo.advertised-address");
            }
            host = bound.getHostAddress();
        }
        return new SiloAddress(host, port);
    }

    private static void requirePlaintextAllowed(QuarkClusterProperties properties, GrpcServerProperties server,
            SiloAddress advertised) {
        if (Boolean.TRUE.equals(properties.getTransport().getPlaintext())) {
            return;
        }
        InetAddress bound = server.getAddress();
        boolean boundToLoopback = bound != null && bound.isLoopbackAddress();
        boolean advertisesLoopback = isLoopback(advertised.host());
        if (!boundToLoopback || !advertisesLoopback) {
            throw new InvalidConfigurationPropertyValueException("quark.cluster.transport.plaintext", null,
                    "Silos would talk without TLS over a network (gRPC server address " + describe(bound)
                            + ", advertised " + advertised + "): set " + SiloTlsFromBundle.BUNDLE_PROPERTY
                            + " to the name of an SSL bundle for TLS, or quark.cluster.transport.plaintext=true to "
                            + "choose plaintext explicitly, or bind spring.grpc.server.address and the advertised "
                            + "address to loopback");
        }
    }

    private static String describe(@Nullable InetAddress address) {
        return (address != null) ? address.getHostAddress() : "every interface";
    }

    private static boolean isLoopback(String host) {
        if ("localhost".equalsIgnoreCase(host)) {
            return true;
        }
        try {
            InetAddress[] addresses = InetAddress.getAllByName(host);
            for (InetAddress address : addresses) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return addresses.length > 0;
        }
        catch (UnknownHostException ex) {
            return false;
        }
    }
}
