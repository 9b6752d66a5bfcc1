package dev.quark.autoconfigure.cluster;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.health.ClusterClientHealthIndicator;
import dev.quark.autoconfigure.health.QuarkClusterClientHealthContributorAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.metrics.MicrometerGrpcTransportMetrics;
import dev.quark.autoconfigure.metrics.QuarkMetricsAutoConfiguration;
import dev.quark.autoconfigure.reminders.QuarkRemindersAutoConfiguration;
import dev.quark.cluster.client.ClientMembership;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSettings;
import dev.quark.cluster.membership.MembershipState;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloLifecycleListener;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.TransportSecurity;
import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.Lane;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.cluster.transport.injvm.InJvmTransport;
import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import io.grpc.CallOptions;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.grpc.server.GrpcServerFactory;
import org.springframework.grpc.server.ServerBuilderCustomizer;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkClusterGrpcAutoConfigurationTests {

    /** The transport's {@code Link} method, its frames written and read as raw bytes. */
    /** The class of Netty's event-loop threads (shaded or not). */
    private static final String EVENT_LOOP_THREAD = "netty.util.concurrent.FastThreadLocalThread";

    private static final MethodDescriptor<byte[], byte[]> RAW_LINK = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(SiloTransportGrpc.getLinkMethod().getFullMethodName())
        .setRequestMarshaller(new RawBytes())
        .setResponseMarshaller(new RawBytes())
        .build();

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkActorsAutoConfiguration.class,
                QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class, QuarkRemindersAutoConfiguration.class,
                QuarkClusterAutoConfiguration.class, QuarkClusterGrpcAutoConfiguration.class))
        .withUserConfiguration(QuarkClusterAutoConfigurationTests.GreeterApplication.class)
        .withPropertyValues("quark.cluster.enabled=true", "quark.cluster.join-timeout=40s");

    @Test
    void transportPropertyDefaultsAreTheTransportSettingsDefaults() {
        assertThat(QuarkClusterGrpcAutoConfiguration.settings(new QuarkClusterProperties()))
            .isEqualTo(GrpcTransportSettings.builder(MembershipSettings.DEFAULT_CLUSTER_NAME).build());
    }

    @Test
    void byDefaultTheTransportIsInJvm() {
        this.contextRunner.withPropertyValues("quark.cluster.name=grpc-default-" + System.nanoTime())
            .run((context) -> assertThat(context).hasNotFailed()
                .hasSingleBean(InJvmTransport.class)
                .doesNotHaveBean(BindableService.class));
    }

    @Test
    void grpcTypeServesTheTransportOnTheLoopbackGrpcServer() {
        this.contextRunner
            .withPropertyValues("quark.cluster.name=grpc-" + System.nanoTime(), "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=19555",
                    "quark.cluster.transport.max-message-size=64KB", "quark.cluster.transport.max-in-flight=7")
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(GrpcTransport.class).hasSingleBean(BindableService.class);
                GrpcTransport transport = context.getBean(GrpcTransport.class);
                assertThat(context.getBean(BindableService.class)).isSameAs(transport.bindableService());
                assertThat(transport.settings().maxMessageSize()).isEqualTo(64 * 1024);
                assertThat(transport.settings().maxInFlight()).isEqualTo(7);
                assertThat(context.getBean(Transport.class)).isSameAs(transport);
                assertThat(transport.security()).isEqualTo(TransportSecurity.PLAINTEXT);
                assertThat(context.getBean(SiloMembership.class).settings().transportSecurity())
                    .as("what the silo's membership entry publishes").isEqualTo(TransportSecurity.PLAINTEXT);
            });
    }

    @Test
    void aCustomTransportThatDoesNotSayWhetherItUsesTlsPublishesUnknownWhateverTheGrpcProperties() {
        this.contextRunner.withUserConfiguration(CustomTransportConfiguration.class)
            .withPropertyValues("quark.cluster.name=grpc-custom-" + System.nanoTime(), "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=19559")
            .run((context) -> {
                assertThat(context).hasNotFailed().doesNotHaveBean(GrpcTransport.class);
                assertThat(context.getBean(Transport.class).security()).isEqualTo(TransportSecurity.UNKNOWN);
                assertThat(context.getBean(SiloMembership.class).settings().transportSecurity())
                    .as("exactly what the transport says, not PLAINTEXT guessed from transport.type=grpc")
                    .isEqualTo(TransportSecurity.UNKNOWN);
                assertThat(context.getBean(QuarkClusterProperties.class)
                    .toSettings(new SiloAddress("127.0.0.1", 19559), Set.of())
                    .transportSecurity()).as("the properties alone, for validation").isEqualTo(TransportSecurity.PLAINTEXT);
            });
    }

    /**
     * A transport of the application's own, which does not say whether its links use TLS, with the beans the gRPC
     * wiring would otherwise make from a {@link GrpcTransport}.
     */
    @Configuration(proxyBeanMethods = false)
    static class CustomTransportConfiguration {

        @Bean
        Transport customTransport() {
            return new InJvmNetwork().transport();
        }

        @Bean
        BindableService quarkClusterGrpcService() {
            return () -> ServerServiceDefinition.builder("custom").build();
        }

        @Bean
        ServerBuilderCustomizer<NettyServerBuilder> quarkClusterGrpcServerCustomizer() {
            return (builder) -> {
            };
        }
    }

    @Test
    void transportTypeIsReadInAnyCaseAndSpellingTheWaySpringBootBindsEnums() {
        int port = 19560;
        for (String value : List.of("grpc", "GRPC", "Grpc")) {
            this.contextRunner
                .withPropertyValues("quark.cluster.name=grpc-case-" + System.nanoTime(),
                        "quark.cluster.transport.type=" + value, "spring.grpc.server.address=127.0.0.1",
                        "spring.grpc.server.port=" + port++)
                .run((context) -> assertThat(context).as(value).hasNotFailed().hasSingleBean(GrpcTransport.class));
        }
        for (String value : List.of("in-jvm", "IN_JVM", "in_jvm", "InJvm")) {
            this.contextRunner
                .withPropertyValues("quark.cluster.name=injvm-case-" + System.nanoTime(),
                        "quark.cluster.transport.type=" + value)
                .run((context) -> assertThat(context).as(value)
                    .hasNotFailed()
                    .hasSingleBean(InJvmTransport.class)
                    .doesNotHaveBean(GrpcTransport.class));
        }
    }

    @Test
    void withSpringBootsGrpcServerTheSiloJoinsOnlyOnceTheServerListens() {
        int port = freePort();
        List<String> portWhenJoined = new CopyOnWriteArrayList<>();
        SiloLifecycleListener probeOnJoin = new SiloLifecycleListener() {
            @Override
            public void joined(SiloEntry self) {
                portWhenJoined.add(answers(self.address().host(), self.address().port()) ? "listening" : "closed");
            }
        };
        this.contextRunner.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, GrpcServerAutoConfiguration.class))
            .withBean("probeOnJoin", SiloLifecycleListener.class, () -> probeOnJoin)
            .withPropertyValues("quark.cluster.name=grpc-join-" + System.nanoTime(), "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + port)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(SiloMembership.class).state()).isEqualTo(MembershipState.ACTIVE);
                assertThat(portWhenJoined).as("the gRPC port when the silo was written ACTIVE").containsExactly("listening");
            });
    }

    @Test
    void springBootsGrpcServerRefusesAnUnreadableFrameAndTheStreamCarriesOn() {
        int port = freePort();
        String cluster = "grpc-unreadable-" + System.nanoTime();
        this.contextRunner.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, GrpcServerAutoConfiguration.class))
            .withPropertyValues("quark.cluster.name=" + cluster, "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + port)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertALinkStreamRefusesAnUnreadableFrameAndCarriesOn(port, cluster);
            });
    }

    @Test
    void springBootsGrpcServerKeepsTheTolerantReaderOfFramesBehindAGlobalServerInterceptor() {
        int port = freePort();
        String cluster = "grpc-intercepted-" + System.nanoTime();
        this.contextRunner.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, GrpcServerAutoConfiguration.class))
            .withUserConfiguration(GlobalInterceptorConfiguration.class)
            .withPropertyValues("quark.cluster.name=" + cluster, "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + port)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertALinkStreamRefusesAnUnreadableFrameAndCarriesOn(port, cluster);
                // The stream went through the application's interceptor: Spring gRPC wrapped the service's
                // definition, and kept its reader of frames.
                assertThat(context.getBean(RecordingInterceptor.class).methods)
                    .contains(SiloTransportGrpc.getLinkMethod().getFullMethodName());
                assertThat(lastLinkFrameThread(port, cluster, context.getBean(RecordingInterceptor.class)).getClass()
                    .getName()).as("handled on the thread that read it").endsWith(EVENT_LOOP_THREAD);
            });
    }

    @Test
    void aStreamEndedForItsInvalidFramesIsCountedInTheRegistry() {
        int port = freePort();
        String cluster = "grpc-ended-" + System.nanoTime();
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, GrpcServerAutoConfiguration.class,
                    MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class, QuarkMetricsAutoConfiguration.class))
            .withPropertyValues("quark.cluster.name=" + cluster, "quark.cluster.transport.type=grpc",
                    "quark.cluster.transport.max-unreadable-frames-in-a-row=2",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + port)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                assertThat(registry.get(MicrometerGrpcTransportMetrics.STREAMS_ENDED)
                    .tag("reason", "unreadable_in_a_row")
                    .counter()
                    .count()).isZero();
                // Refused within the stream: not counted.
                assertALinkStreamRefusesAnUnreadableFrameAndCarriesOn(port, cluster);
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
                try {
                    List<Throwable> errors = new CopyOnWriteArrayList<>();
                    StreamObserver<byte[]> stream = openLink(channel, cluster, new CopyOnWriteArrayList<>(), errors);
                    for (int i = 0; i < 3; i++) {
                        stream.onNext(new byte[] { (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff });
                    }
                    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !errors.isEmpty());
                    assertThat(errors.get(0)).hasMessageContaining("INVALID_ARGUMENT");
                }
                finally {
                    channel.shutdownNow();
                }
                // Counted just after the stream ended, so it may come a moment after the caller saw the end.
                Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                        registry.get(MicrometerGrpcTransportMetrics.STREAMS_ENDED)
                            .tag("reason", "unreadable_in_a_row")
                            .counter()
                            .count()).isEqualTo(1));
                assertThat(registry.get(MicrometerGrpcTransportMetrics.STREAMS_ENDED)
                    .tag("reason", "invalid_in_window")
                    .counter()
                    .count()).isZero();
            });
    }

    /**
     * Opens a raw {@code Link} stream on the channel and writes the handshake of a silo "peer" of the cluster.
     * @param answers collects the frames the server writes back
     * @param errors collects the stream's end with an error
     */
    /**
     * Sends frames on an accepted {@code Link} stream one after another, each once the one before was refused, and
     * returns the thread the last reached the service on: a stream's first frames may still be run by the executor's
     * thread that started the call, before gRPC switched the call to the one its supplier gave.
     */
    private static Thread lastLinkFrameThread(int port, String cluster, RecordingInterceptor interceptor)
            throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            List<byte[]> answers = new CopyOnWriteArrayList<>();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            StreamObserver<byte[]> stream = openLink(channel, cluster, answers, errors);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !answers.isEmpty() || !errors.isEmpty());
            for (int i = 1; i <= 3; i++) {
                stream.onNext(ClientFrame.newBuilder().setHello(Hello.newBuilder().setClusterName(cluster))
                    .build()
                    .toByteArray());
                int refused = i;
                Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> answers.size() > refused || !errors.isEmpty());
            }
            assertThat(errors).isEmpty();
            stream.onCompleted();
            return interceptor.linkFrameThreads.getLast();
        }
        finally {
            channel.shutdownNow();
        }
    }

    @Test
    void linkCallbacksOnTheEventLoopCanBeTurnedOff() {
        int port = freePort();
        String cluster = "grpc-executor-" + System.nanoTime();
        this.contextRunner.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, GrpcServerAutoConfiguration.class))
            .withUserConfiguration(GlobalInterceptorConfiguration.class)
            .withPropertyValues("quark.cluster.name=" + cluster, "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + port,
                    "quark.cluster.transport.link-callbacks-on-event-loop=false")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(lastLinkFrameThread(port, cluster, context.getBean(RecordingInterceptor.class)).getClass()
                    .getName()).as("handed to the server's executor").doesNotEndWith(EVENT_LOOP_THREAD);
            });
    }

    private static StreamObserver<byte[]> openLink(ManagedChannel channel, String cluster, List<byte[]> answers,
            List<Throwable> errors) {
        StreamObserver<byte[]> stream = ClientCalls.asyncBidiStreamingCall(
                channel.newCall(RAW_LINK, CallOptions.DEFAULT), new StreamObserver<byte[]>() {
                    @Override
                    public void onNext(byte[] value) {
                        answers.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        errors.add(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        stream.onNext(ClientFrame.newBuilder()
            .setHello(Hello.newBuilder().setClusterName(cluster)
                .setProtocolVersion(GrpcTransport.PROTOCOL_VERSION).setSourceSiloId("peer")
                .setLane(Lane.LANE_CALL))
            .build()
            .toByteArray());
        return stream;
    }

    /**
     * Opens a {@code Link} stream to the server on the port, writes a handshake, an unreadable frame and a frame that
     * is not an envelope, and checks that the stream refuses both and carries on (gRPC's own reader ended it with
     * {@code CANCELLED} at the unreadable frame, a stack trace in the server's log).
     */
    private static void assertALinkStreamRefusesAnUnreadableFrameAndCarriesOn(int port, String cluster) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            List<byte[]> answers = new CopyOnWriteArrayList<>();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            StreamObserver<byte[]> stream = openLink(channel, cluster, answers, errors);
            // gRPC's own reader ended the stream here (CANCELLED, with a stack trace in the server's log).
            stream.onNext(new byte[] { (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff });
            stream.onNext(ClientFrame.newBuilder().setHello(Hello.newBuilder().setClusterName(cluster))
                .build()
                .toByteArray());
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> answers.size() >= 3 || !errors.isEmpty());
            assertThat(errors).isEmpty();
            assertThat(ServerFrame.parseFrom(answers.get(0)).hasAccepted()).isTrue();
            assertThat(ServerFrame.parseFrom(answers.get(1)).getRejected().getReason())
                .startsWith("an unreadable frame (");
            assertThat(ServerFrame.parseFrom(answers.get(2)).getRejected().getReason())
                .isEqualTo("a frame after the handshake that is not an envelope");
            stream.onCompleted();
        }
        finally {
            channel.shutdownNow();
        }
    }

    @Test
    void limitsOnInvalidFramesAreBoundToTheTransportsSettings() {
        this.contextRunner
            .withPropertyValues("quark.cluster.name=grpc-invalid-" + System.nanoTime(), "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + freePort(),
                    "quark.cluster.transport.max-unreadable-frames-in-a-row=5",
                    "quark.cluster.transport.max-invalid-frames=7", "quark.cluster.transport.invalid-frames-window=50")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                GrpcTransportSettings settings = context.getBean(GrpcTransport.class).settings();
                assertThat(settings.maxUnreadableFramesInARow()).isEqualTo(5);
                assertThat(settings.maxInvalidFrames()).isEqualTo(7);
                assertThat(settings.invalidFramesWindow()).isEqualTo(50);
            });
        this.contextRunner
            .withPropertyValues("quark.cluster.name=grpc-invalid-" + System.nanoTime(), "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + freePort(),
                    "quark.cluster.transport.inbound-window=200")
            .run((context) -> assertThat(context.getBean(GrpcTransport.class).settings().maxUnreadableFramesInARow())
                .as("the inbound window by default").isEqualTo(200));
    }

    @Test
    void limitsOnInvalidFramesOutOfRangeAreRefusedNamingThePropertyAndTheValue() {
        this.contextRunner.withPropertyValues("quark.cluster.transport.max-unreadable-frames-in-a-row=0")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("Property quark.cluster.transport.max-unreadable-frames-in-a-row with value '0' "
                        + "is invalid: must be at least 1"));
        this.contextRunner.withPropertyValues("quark.cluster.transport.max-invalid-frames=50",
                "quark.cluster.transport.invalid-frames-window=50")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("Property quark.cluster.transport.max-invalid-frames with value '50' is invalid: "
                        + "must be at least 1 and less than quark.cluster.transport.invalid-frames-window (50)"));
        this.contextRunner.withPropertyValues("quark.cluster.transport.invalid-frames-window=100001")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("Property quark.cluster.transport.invalid-frames-window with value '100001' is "
                        + "invalid: must be between 2 and 100000 frames"));
    }

    @Test
    void withoutSpringBootsGrpcServerTheSiloJoinsWhenItsLifecycleStarts() {
        this.contextRunner
            .withPropertyValues("quark.cluster.name=grpc-no-server-" + System.nanoTime(), "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + freePort())
            .run((context) -> assertThat(context.getBean(SiloMembership.class).state()).isEqualTo(MembershipState.ACTIVE));
    }

    @Test
    void anInProcessOrAnotherGrpcServerStartingDoesNotMakeTheSiloJoin() {
        int port = freePort();
        this.contextRunner.withBean(GrpcServerLifecycle.class, NotStartedGrpcServer::new)
            .withPropertyValues("quark.cluster.name=grpc-other-server-" + System.nanoTime(), "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + port)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                SiloMembership membership = context.getBean(SiloMembership.class);
                GrpcServerLifecycle lifecycle = context.getBean(GrpcServerLifecycle.class);
                Server server = NettyServerBuilder.forPort(0).build();
                context.publishEvent(new GrpcServerStartedEvent(lifecycle, server, "in-process:quark", -1));
                context.publishEvent(new GrpcServerStartedEvent(lifecycle, server, "127.0.0.1", port + 1));
                assertThat(membership.state()).isEqualTo(MembershipState.CREATED);
                context.publishEvent(new GrpcServerStartedEvent(lifecycle, server, "127.0.0.1", port));
                assertThat(membership.state()).isEqualTo(MembershipState.ACTIVE);
            });
    }

    @Test
    void aClusterClientOnTheGrpcTransportReadsTheTableOnlyOnceItsGrpcServerListens() {
        int port = freePort();
        InMemoryMembershipProvider silos = new InMemoryMembershipProvider();
        Instant now = Instant.now();
        assertThat(silos.write(new SiloEntry("silo-a", new SiloAddress("127.0.0.1", 1), now, SiloStatus.ACTIVE, now, 1,
                Set.of("greeter"), List.of()), 0)).isTrue();
        this.contextRunner.withConfiguration(AutoConfigurations.of(QuarkClusterClientHealthContributorAutoConfiguration.class))
            .withBean(GrpcServerLifecycle.class, NotStartedGrpcServer::new)
            .withBean(MembershipProvider.class, () -> new ClusterClientOfContextsTests.SharedMembership(silos))
            .withPropertyValues("quark.cluster.mode=client", "quark.cluster.name=grpc-client-" + System.nanoTime(),
                    "quark.cluster.transport.type=grpc", "spring.grpc.server.address=127.0.0.1",
                    "spring.grpc.server.port=" + port)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                ClientMembership client = context.getBean(ClientMembership.class);
                ClusterClientHealthIndicator health = context.getBean(ClusterClientHealthIndicator.class);
                assertThat(client.lastReadAt()).as("read before the gRPC server listens").isNull();
                assertThat(client.activeSilos()).isEmpty();
                assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
                assertThat(health.health().getDetails()).containsEntry("reason", "the membership table was not read yet");
                GrpcServerLifecycle lifecycle = context.getBean(GrpcServerLifecycle.class);
                Server server = NettyServerBuilder.forPort(0).build();
                context.publishEvent(new GrpcServerStartedEvent(lifecycle, server, "in-process:quark", -1));
                assertThat(client.lastReadAt()).isNull();
                context.publishEvent(new GrpcServerStartedEvent(lifecycle, server, "127.0.0.1", port));
                assertThat(client.lastReadAt()).isNotNull();
                assertThat(client.activeSilos()).extracting(SiloEntry::siloId).containsExactly("silo-a");
            });
    }

    @Test
    void withoutAFixedServerPortAnyServerOnANetworkPortServesTheTransport() {
        StaticListableBeanFactory none = new StaticListableBeanFactory();
        JoinWhenGrpcServerStarts unfixed = new JoinWhenGrpcServerStarts(none.getBeanProvider(ClusterSiloLifecycle.class),
                none.getBeanProvider(ClusterClientLifecycle.class), 0);
        assertThat(unfixed.servesTheTransport(-1)).isFalse();
        assertThat(unfixed.servesTheTransport(41234)).isTrue();
        JoinWhenGrpcServerStarts fixed = new JoinWhenGrpcServerStarts(none.getBeanProvider(ClusterSiloLifecycle.class),
                none.getBeanProvider(ClusterClientLifecycle.class), 9090);
        assertThat(fixed.servesTheTransport(9091)).isFalse();
        assertThat(fixed.servesTheTransport(9090)).isTrue();
    }

    /** An application's {@code @GlobalServerInterceptor}, which Spring gRPC wraps around every service. */
    @Configuration(proxyBeanMethods = false)
    static class GlobalInterceptorConfiguration {

        @Bean
        @GlobalServerInterceptor
        RecordingInterceptor recordingInterceptor() {
            return new RecordingInterceptor();
        }
    }

    /** An application's interceptor of every service: records the methods it sees called. */
    static final class RecordingInterceptor implements ServerInterceptor {

        final List<String> methods = new CopyOnWriteArrayList<>();

        /** The threads that the frames of {@code Link} calls reached the service on. */
        final List<Thread> linkFrameThreads = new CopyOnWriteArrayList<>();

        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                ServerCallHandler<Q, A> next) {
            String method = call.getMethodDescriptor().getFullMethodName();
            this.methods.add(method);
            ServerCall.Listener<Q> listener = next.startCall(call, headers);
            if (!method.equals(SiloTransportGrpc.getLinkMethod().getFullMethodName())) {
                return listener;
            }
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onMessage(Q message) {
                    RecordingInterceptor.this.linkFrameThreads.add(Thread.currentThread());
                    super.onMessage(message);
                }
            };
        }
    }

    /** A gRPC server lifecycle that never starts, so that the test tells when servers start. */
    static final class NotStartedGrpcServer extends GrpcServerLifecycle {

        NotStartedGrpcServer() {
            super(new GrpcServerFactory() {
                @Override
                public Server createServer() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void addService(ServerServiceDefinition service) {
                }
            }, Duration.ofSeconds(1), (event) -> { });
        }

        @Override
        public boolean isAutoStartup() {
            return false;
        }
    }

    private static boolean answers(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1000);
            return true;
        }
        catch (IOException ex) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Test
    void unknownTransportTypeIsRefusedNamingThePropertyAndTheValue() {
        this.contextRunner.withPropertyValues("quark.cluster.transport.type=grcp")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.type")
                .hasMessageContaining("'grcp' is not a transport: use one of in-jvm, grpc"));
    }

    @Test
    void plaintextOnANetworkAddressMustBeChosenExplicitly() {
        this.contextRunner
            .withPropertyValues("quark.cluster.transport.type=grpc", "spring.grpc.server.port=19556",
                    "quark.cluster.silo.advertised-address=10.1.2.3")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.plaintext=true")
                .hasMessageContaining("gRPC server address every interface, advertised 10.1.2.3:19556"));
    }

    @Test
    void plaintextTrueAllowsANetworkAddress() {
        this.contextRunner
            .withPropertyValues("quark.cluster.transport.type=grpc", "spring.grpc.server.port=19557",
                    "quark.cluster.silo.advertised-address=10.1.2.3", "quark.cluster.transport.plaintext=true")
            .run((context) -> assertThat(context.getBean(GrpcTransport.class)).isNotNull());
    }

    @Test
    void plaintextFalseWithoutAnSslBundleIsRefused() {
        this.contextRunner.withPropertyValues("quark.cluster.transport.type=grpc", "quark.cluster.transport.plaintext=false")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.plaintext")
                .hasMessageContaining("TLS between silos needs an SSL bundle: set quark.cluster.transport.ssl.bundle"));
    }

    @Test
    void everyInterfaceWithoutAnAdvertisedAddressIsRefused() {
        this.contextRunner.withPropertyValues("quark.cluster.transport.type=grpc", "spring.grpc.server.port=19558")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("set quark.cluster.silo.advertised-address"));
    }

    @Test
    void portZeroIsRefused() {
        this.contextRunner
            .withPropertyValues("quark.cluster.transport.type=grpc", "spring.grpc.server.address=127.0.0.1",
                    "spring.grpc.server.port=0")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("A silo needs a fixed gRPC port"));
    }

    @Test
    void grpcTypeWithoutGrpcOnTheClassPathNamesTheDependency() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(BindableService.class))
            .withPropertyValues("quark.cluster.transport.type=grpc")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("spring-boot-starter-grpc-server"));
    }

    @Test
    void badTransportValuesAreRefusedWithTheirProperty() {
        this.contextRunner.withPropertyValues("quark.cluster.transport.max-message-size=10B")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.max-message-size"));
        this.contextRunner.withPropertyValues("quark.cluster.transport.max-in-flight=0")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.max-in-flight"));
        this.contextRunner
            .withPropertyValues("quark.cluster.transport.reconnect-backoff-min=2s",
                    "quark.cluster.transport.reconnect-backoff-max=1s")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.reconnect-backoff-max"));
    }

    @Test
    void theGoodbyeTimeoutIsBoundToTheTransportsSettingsAndRefusedWhenNotPositive() {
        this.contextRunner
            .withPropertyValues("quark.cluster.name=grpc-goodbye-" + System.nanoTime(), "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=" + freePort(),
                    "quark.cluster.transport.goodbye-timeout=750ms")
            .run((context) -> assertThat(context.getBean(GrpcTransport.class).settings().goodbyeTimeout())
                .isEqualTo(Duration.ofMillis(750)));
        for (String bad : List.of("0s", "-1s")) {
            this.contextRunner.withPropertyValues("quark.cluster.transport.goodbye-timeout=" + bad)
                .run((context) -> assertThat(context).hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("Property quark.cluster.transport.goodbye-timeout with value '"
                            + Duration.parse("PT" + bad.toUpperCase(java.util.Locale.ROOT)) + "' is invalid: must be positive"));
        }
        assertThat(new QuarkClusterProperties().getTransport().getGoodbyeTimeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aClientLinkIdleTimeoutThatIsNotPositiveIsRefusedNamingThePropertyAndTheValue() {
        for (String bad : List.of("0s", "-1s")) {
            this.contextRunner.withPropertyValues("quark.cluster.transport.client-link-idle-timeout=" + bad)
                .run((context) -> assertThat(context).hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("Property quark.cluster.transport.client-link-idle-timeout with value '"
                            + java.time.Duration.parse("PT" + bad.toUpperCase()) + "' is invalid: must be positive"));
        }
        assertThat(new QuarkClusterProperties().getTransport().getClientLinkIdleTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void payloadsAreCborByDefaultAndJsonOnRequest() {
        this.contextRunner.withPropertyValues("quark.cluster.name=cbor-" + System.nanoTime())
            .run((context) -> assertThat(context.getBean(PayloadCodec.class)).isNotNull());
        assertThat(PayloadMappers.forFormat(QuarkClusterProperties.PayloadFormat.CBOR,
                tools.jackson.databind.json.JsonMapper.builder().build()))
            .isInstanceOf(tools.jackson.dataformat.cbor.CBORMapper.class);
        tools.jackson.databind.json.JsonMapper json = tools.jackson.databind.json.JsonMapper.builder().build();
        assertThat(PayloadMappers.forFormat(QuarkClusterProperties.PayloadFormat.JSON, json)).isSameAs(json);
    }

    private static final class RawBytes implements MethodDescriptor.Marshaller<byte[]> {

        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }
}
