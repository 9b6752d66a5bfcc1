package dev.quark.autoconfigure.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorRefFactory;
import dev.quark.actor.RequestContext;
import dev.quark.autoconfigure.fixtures.wallet.Wallet;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.filter.IncomingCallFilter;
import dev.quark.state.ConcurrencyException;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Trace context across silos of one JVM that talk over gRPC, each with a real tracer (Micrometer's OpenTelemetry
 * bridge, spans kept in memory): a call made inside a span runs in a client span of it on the caller's silo,
 * ended with its outcome (an answer, a failure, a timeout), and on the other silo in a server span child of the
 * client span; a call made outside any span carries no trace context; a malformed one from a peer is ignored.
 */
@ExtendWith(OutputCaptureExtension.class)
class GrpcTraceContextTests {

    private final String cluster = "trace-" + System.nanoTime();

    private final String prefix = "trace-w-" + System.nanoTime() + "-";

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    @AfterEach
    void close() {
        this.contexts.reversed().forEach(ConfigurableApplicationContext::close);
    }

    @Test
    void aCallMadeInsideASpanRunsInAClientSpanOfItAndOnTheOtherSiloInAServerSpanChildOfTheClientSpan() {
        ConfigurableApplicationContext siloA = start("silo-a", true);
        ConfigurableApplicationContext siloB = start("silo-b", true);
        awaitActive(siloA, siloB);
        String onB = hostedOn(siloB, siloA);
        InMemorySpanExporter spansOnA = siloA.getBean(InMemorySpanExporter.class);
        InMemorySpanExporter spansOnB = siloB.getBean(InMemorySpanExporter.class);
        assertThat(spansOnA.getFinishedSpanItems()).as("client spans of calls made outside any span").isEmpty();
        assertThat(spansOnB.getFinishedSpanItems()).as("spans of calls made outside any span").isEmpty();
        assertThat(siloB.getBean(InMemoryTracing.TurnsSeen.class).metadata.get(onB))
            .as("metadata of a call made outside any span").doesNotContainKeys("traceparent", "tracestate", "baggage");
        assertThat(siloB.getBean(InMemoryTracing.TurnsSeen.class).traceIds.get(onB)).isEmpty();

        Tracer tracerA = siloA.getBean(Tracer.class);
        Span caller = tracerA.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracerA.withSpan(caller)) {
            assertThat(siloA.getBean(ActorRefFactory.class).get(Wallet.class, onB).deposit(3)).isEqualTo(3);
        }
        finally {
            caller.end();
        }

        SpanData client = awaitSpan(spansOnA, SpanKind.CLIENT);
        assertThat(client.getName()).isEqualTo("wallet.deposit");
        assertThat(client.getTraceId()).isEqualTo(caller.context().traceId());
        assertThat(client.getParentSpanId()).isEqualTo(caller.context().spanId());
        assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(client.getAttributes().asMap()).extractingFromEntries((entry) -> entry.getKey().getKey() + "="
                + entry.getValue())
            .contains("quark.actor.type=wallet", "quark.actor.id=" + onB, "quark.actor.method=deposit");
        SpanData turn = awaitSpan(spansOnB, SpanKind.SERVER);
        assertThat(turn.getTraceId()).isEqualTo(caller.context().traceId());
        assertThat(turn.getParentSpanId()).as("the server span's parent").isEqualTo(client.getSpanId());
        assertThat(turn.getName()).isEqualTo("wallet.deposit");
        assertThat(turn.getAttributes().asMap()).extractingFromEntries((entry) -> entry.getKey().getKey() + "="
                + entry.getValue())
            .contains("quark.actor.type=wallet", "quark.actor.id=" + onB, "quark.actor.method=deposit");
        assertThat(siloB.getBean(InMemoryTracing.TurnsSeen.class).metadata.get(onB))
            .as("metadata of the call in the envelope")
            .hasEntrySatisfying("traceparent", (traceparent) -> assertThat(traceparent)
                .startsWith("00-" + caller.context().traceId() + "-" + client.getSpanId() + "-"));
        assertThat(siloB.getBean(InMemoryTracing.TurnsSeen.class).traceIds.get(onB))
            .as("trace id current in the turn on silo B").isEqualTo(caller.context().traceId());
        assertThat(spansOnA.getFinishedSpanItems()).extracting(SpanData::getName)
            .containsExactlyInAnyOrder("caller", "wallet.deposit");
        assertThat(spansOnB.getFinishedSpanItems()).singleElement();
    }

    @Test
    void aOneWayCallMadeInsideASpanIsAProducerSpanOfItAndOnTheOtherSiloAConsumerSpanChildOfTheProducerSpan() {
        ConfigurableApplicationContext siloA = start("silo-a", true);
        ConfigurableApplicationContext siloB = start("silo-b", true);
        awaitActive(siloA, siloB);
        String onB = hostedOn(siloB, siloA);
        InMemorySpanExporter spansOnA = siloA.getBean(InMemorySpanExporter.class);
        InMemorySpanExporter spansOnB = siloB.getBean(InMemorySpanExporter.class);
        Wallet wallet = siloA.getBean(ActorRefFactory.class).get(Wallet.class, onB);
        Tracer tracerA = siloA.getBean(Tracer.class);
        Span caller = tracerA.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracerA.withSpan(caller)) {
            wallet.depositLater(4);
        }
        finally {
            caller.end();
        }

        SpanData producer = awaitSpan(spansOnA, SpanKind.PRODUCER);
        assertThat(producer.getName()).isEqualTo("wallet.depositLater");
        assertThat(producer.getTraceId()).isEqualTo(caller.context().traceId());
        assertThat(producer.getParentSpanId()).isEqualTo(caller.context().spanId());
        assertThat(producer.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        SpanData consumer = awaitSpan(spansOnB, SpanKind.CONSUMER);
        assertThat(consumer.getName()).isEqualTo("wallet.depositLater");
        assertThat(consumer.getTraceId()).isEqualTo(caller.context().traceId());
        assertThat(consumer.getParentSpanId()).as("the consumer span's parent").isEqualTo(producer.getSpanId());
        assertThat(siloB.getBean(InMemoryTracing.TurnsSeen.class).traceIds.get(onB))
            .as("trace id current in the turn on silo B").isEqualTo(caller.context().traceId());
        assertThat(wallet.balance()).isEqualTo(4);
        assertThat(spansOnA.getFinishedSpanItems()).extracting(SpanData::getKind)
            .as("no CLIENT span for a one-way call").doesNotContain(SpanKind.CLIENT);
        assertThat(spansOnB.getFinishedSpanItems()).extracting(SpanData::getKind)
            .as("no SERVER span for a one-way call").doesNotContain(SpanKind.SERVER);
    }

    @Test
    void aFailedCallsClientSpanRecordsTheFailure() {
        ConfigurableApplicationContext siloA = start("silo-a", true);
        ConfigurableApplicationContext siloB = start("silo-b", true);
        awaitActive(siloA, siloB);
        String onB = hostedOn(siloB, siloA);
        Tracer tracerA = siloA.getBean(Tracer.class);
        Span caller = tracerA.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracerA.withSpan(caller)) {
            Wallet wallet = siloA.getBean(ActorRefFactory.class).get(Wallet.class, onB);
            assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> wallet.depositIfBalanceIs(1, 99));
        }
        finally {
            caller.end();
        }

        SpanData client = awaitSpan(siloA.getBean(InMemorySpanExporter.class), SpanKind.CLIENT);
        assertThat(client.getName()).isEqualTo("wallet.depositIfBalanceIs");
        assertThat(client.getParentSpanId()).isEqualTo(caller.context().spanId());
        assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(client.getEvents()).anySatisfy((event) -> assertThat(event.getAttributes().asMap().values())
            .contains(ConcurrencyException.class.getName()));
        SpanData turn = awaitSpan(siloB.getBean(InMemorySpanExporter.class), SpanKind.SERVER);
        assertThat(turn.getParentSpanId()).isEqualTo(client.getSpanId());
        assertThat(turn.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    }

    @Test
    void aTimedOutCallsClientSpanEndsWithTheTimeout() {
        ConfigurableApplicationContext siloA = start("silo-a", true, "1s");
        ConfigurableApplicationContext siloB = start("silo-b", true, "10s", StallingTurns.class);
        awaitActive(siloA, siloB);
        String onB = hostedOn(siloB, siloA);
        Tracer tracerA = siloA.getBean(Tracer.class);
        Span caller = tracerA.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracerA.withSpan(caller);
                RequestContext.Scope stall = RequestContext.of("req-stall", Map.of("stall", "yes")).open()) {
            Wallet wallet = siloA.getBean(ActorRefFactory.class).get(Wallet.class, onB);
            assertThatExceptionOfType(ActorCallTimeoutException.class).isThrownBy(() -> wallet.deposit(1));
        }
        finally {
            caller.end();
            siloB.getBean(StallingTurns.class).release.countDown();
        }

        SpanData client = awaitSpan(siloA.getBean(InMemorySpanExporter.class), SpanKind.CLIENT);
        assertThat(client.getName()).isEqualTo("wallet.deposit");
        assertThat(client.getParentSpanId()).isEqualTo(caller.context().spanId());
        assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(client.getEvents()).anySatisfy((event) -> assertThat(event.getAttributes().asMap().values())
            .contains(ActorCallTimeoutException.class.getName()));
        assertThat(siloB.getBean(StallingTurns.class).stalled).as("the turn was under way when the call timed out")
            .hasValue(1);
    }

    @Test
    void aCallOnTheSameSiloInsideASpanRunsInAClientSpanAndAServerSpanChildOfIt() {
        ConfigurableApplicationContext siloA = start("silo-a", true);
        String id = this.prefix + "local";
        Tracer tracer = siloA.getBean(Tracer.class);
        Span caller = tracer.nextSpan().name("caller").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            siloA.getBean(ActorRefFactory.class).get(Wallet.class, id).deposit(1);
        }
        finally {
            caller.end();
        }
        InMemorySpanExporter spans = siloA.getBean(InMemorySpanExporter.class);
        SpanData client = awaitSpan(spans, SpanKind.CLIENT);
        assertThat(client.getName()).isEqualTo("wallet.deposit");
        assertThat(client.getTraceId()).isEqualTo(caller.context().traceId());
        assertThat(client.getParentSpanId()).isEqualTo(caller.context().spanId());
        SpanData turn = awaitSpan(spans, SpanKind.SERVER);
        assertThat(turn.getName()).isEqualTo("wallet.deposit");
        assertThat(turn.getTraceId()).isEqualTo(caller.context().traceId());
        assertThat(turn.getParentSpanId()).isEqualTo(client.getSpanId());
    }

    @Test
    void aMalformedTraceparentFromAPeerIsIgnoredAndTheCallRunsWhileAWellFormedOneIsFollowed(CapturedOutput output) {
        ConfigurableApplicationContext plain = start("silo-plain", false);
        ConfigurableApplicationContext traced = start("silo-traced", true);
        awaitActive(plain, traced);
        String onTraced = hostedOn(traced, plain);
        InMemorySpanExporter spans = traced.getBean(InMemorySpanExporter.class);
        Wallet wallet = plain.getBean(ActorRefFactory.class).get(Wallet.class, onTraced);

        try (RequestContext.Scope scope = RequestContext.of("req-bad", Map.of("traceparent", "00-not-a-trace-id-01"))
            .open()) {
            assertThat(wallet.deposit(4)).isEqualTo(4);
        }
        assertThat(traced.getBean(InMemoryTracing.TurnsSeen.class).metadata.get(onTraced))
            .containsEntry("traceparent", "00-not-a-trace-id-01");
        assertThat(traced.getBean(InMemoryTracing.TurnsSeen.class).traceIds.get(onTraced)).isEmpty();
        assertThat(spans.getFinishedSpanItems()).isEmpty();
        assertThat(output).contains("Ignored the malformed traceparent '00-not-a-trace-id-01' of a call to wallet/"
                + onTraced + ".deposit()");

        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        try (RequestContext.Scope scope = RequestContext
            .of("req-good", Map.of("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"))
            .open()) {
            assertThat(wallet.deposit(1)).isEqualTo(5);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !spans.getFinishedSpanItems().isEmpty());
        assertThat(spans.getFinishedSpanItems()).singleElement().satisfies((span) -> {
            assertThat(span.getTraceId()).isEqualTo(traceId);
            assertThat(span.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
        });
    }

    /**
     * Returns a wallet id whose activation lives on {@code host}, activated by calls from {@code caller} made
     * outside any span.
     */
    private String hostedOn(ConfigurableApplicationContext host, ConfigurableApplicationContext caller) {
        for (int i = 0; i < 200; i++) {
            String id = this.prefix + i;
            caller.getBean(ActorRefFactory.class).get(Wallet.class, id).balance();
            if (host.getBean(ActorRuntime.class).isActive(Wallet.class, id)) {
                return id;
            }
        }
        throw new AssertionError("no wallet of 200 was placed on " + host.getId());
    }

    /** Waits for the one ended span of that kind among those kept. */
    private static SpanData awaitSpan(InMemorySpanExporter spans, SpanKind kind) {
        await().atMost(Duration.ofSeconds(5))
            .until(() -> spans.getFinishedSpanItems().stream().anyMatch((span) -> span.getKind() == kind));
        List<SpanData> ofKind = spans.getFinishedSpanItems().stream().filter((span) -> span.getKind() == kind).toList();
        assertThat(ofKind).as("ended spans of kind " + kind).hasSize(1);
        return ofKind.getFirst();
    }

    private static void awaitActive(ConfigurableApplicationContext... silos) {
        await().atMost(Duration.ofSeconds(10)).until(() -> List.of(silos).stream()
            .allMatch((silo) -> silo.getBean(SiloMembership.class).current().membership()
                .withStatus(SiloStatus.ACTIVE).size() == silos.length));
    }

    private ConfigurableApplicationContext start(String siloId, boolean traced) {
        return start(siloId, traced, "10s");
    }

    private ConfigurableApplicationContext start(String siloId, boolean traced, String callTimeout,
            Class<?>... extraSources) {
        List<Class<?>> sources = new ArrayList<>(List.of(ClusterOfContextsScenarios.WalletApplication.class,
                InMemoryTracing.TurnsSeen.class));
        sources.addAll(List.of(extraSources));
        if (traced) {
            sources.add(InMemoryTracing.class);
        }
        ConfigurableApplicationContext context = new SpringApplicationBuilder(sources.toArray(Class<?>[]::new))
            .web(WebApplicationType.NONE)
            .properties("quark.cluster.enabled=true", "quark.cluster.name=" + this.cluster,
                    "quark.cluster.silo.id=" + siloId, "quark.persistence.backend=memory",
                    "quark.persistence.stores.audit.backend=memory", "quark.cluster.leave-timeout=10s",
                    "quark.actors.call-timeout=" + callTimeout, "spring.main.banner-mode=off",
                    "quark.cluster.probe-timeout=3s", "quark.cluster.missed-probes=5",
                    "logging.level.dev.quark.autoconfigure.tracing=debug", "quark.cluster.transport.type=grpc",
                    "spring.grpc.server.address=127.0.0.1",
                    "spring.grpc.server.port=" + ClusterClientOfContextsTests.freePort())
            .run();
        this.contexts.add(context);
        return context;
    }

    /**
     * Holds every turn whose call carries the metadata {@code stall} until the test releases it (at most 20
     * seconds), so that its caller times out while it is under way.
     */
    @Configuration(proxyBeanMethods = false)
    static class StallingTurns {

        final CountDownLatch release = new CountDownLatch(1);

        final AtomicInteger stalled = new AtomicInteger();

        @Bean
        IncomingCallFilter stallingFilter() {
            return (call) -> {
                if (call.metadata().containsKey("stall")) {
                    this.stalled.incrementAndGet();
                    this.release.await(20, TimeUnit.SECONDS);
                }
                return call.proceed();
            };
        }
    }
}
