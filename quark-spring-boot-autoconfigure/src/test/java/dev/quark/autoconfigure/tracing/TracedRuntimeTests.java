package dev.quark.autoconfigure.tracing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;
import dev.quark.actor.OneWay;
import dev.quark.actor.QuarkActor;
import dev.quark.reminder.ReminderDelivery;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The tracing filters and propagator in a runtime of one silo, as the auto-configuration registers them: the
 * kinds of the spans of one-way and two-way calls, and how they nest.
 */
class TracedRuntimeTests {

    private final InMemoryTracer tracing = new InMemoryTracer();

    private final ActorRuntime runtime = ActorRuntime.builder()
        .actor(InboxActor.class, () -> new InboxActor(() -> this.runtime))
        .contextPropagator(new MicrometerCallContextPropagator(this.tracing.tracer, this.tracing.propagator))
        .outgoingFilter(new MicrometerClientSpanCallFilter(this.tracing.tracer, this.tracing.propagator))
        .incomingFilter(new MicrometerTracingCallFilter(this.tracing.tracer, this.tracing.propagator))
        .build();

    @AfterEach
    void close() {
        this.runtime.close();
        this.tracing.close();
    }

    @Test
    void aOneWayCallMadeInASpanRunsInAProducerSpanAndItsTurnInAConsumerSpanChildOfIt() {
        Span caller = this.tracing.caller();
        try (Tracer.SpanInScope scope = this.tracing.tracer.withSpan(caller)) {
            this.runtime.get(Inbox.class, "one").post("hello");
        }
        finally {
            caller.end();
        }
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.tracing.ended().stream().anyMatch((span) -> span.getKind() == SpanKind.CONSUMER));
        SpanData producer = this.tracing.endedSpan(SpanKind.PRODUCER);
        SpanData consumer = this.tracing.endedSpan(SpanKind.CONSUMER);
        assertThat(producer.getName()).isEqualTo(consumer.getName()).endsWith(".post");
        assertThat(producer.getParentSpanId()).isEqualTo(caller.context().spanId());
        assertThat(consumer.getParentSpanId()).isEqualTo(producer.getSpanId());
        assertThat(consumer.getTraceId()).isEqualTo(caller.context().traceId());
        assertThat(this.tracing.ended()).extracting(SpanData::getKind)
            .doesNotContain(SpanKind.CLIENT, SpanKind.SERVER);
    }

    @Test
    void aCallThatWaitsForItsAnswerRunsInAClientSpanAndItsTurnInAServerSpanChildOfIt() {
        Span caller = this.tracing.caller();
        try (Tracer.SpanInScope scope = this.tracing.tracer.withSpan(caller)) {
            assertThat(this.runtime.get(Inbox.class, "one").posts()).isEmpty();
        }
        finally {
            caller.end();
        }
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.tracing.ended().stream().anyMatch((span) -> span.getKind() == SpanKind.CLIENT));
        SpanData client = this.tracing.endedSpan(SpanKind.CLIENT);
        SpanData server = this.tracing.endedSpan(SpanKind.SERVER);
        assertThat(server.getParentSpanId()).isEqualTo(client.getSpanId());
        assertThat(client.getParentSpanId()).isEqualTo(caller.context().spanId());
        assertThat(this.tracing.ended()).extracting(SpanData::getKind)
            .doesNotContain(SpanKind.PRODUCER, SpanKind.CONSUMER);
    }

    /**
     * A reminder's tick, delivered as the reminder service delivers it, starts a trace of its own: its turn runs in
     * a root {@code CONSUMER} span named after the actor's type and tagged with the reminder's name, and the call
     * the turn makes runs in that trace.
     */
    @Test
    void aReminderTickRunsInAConsumerSpanOfATraceOfItsOwnAndTheCallsItMakesFollowIt() throws Exception {
        ReminderStatus status = new ReminderStatus(Instant.now(), Instant.now(), new byte[0], 1);
        ReminderDelivery.through(this.runtime).deliver(new ActorAddress("Inbox", "one"), "daily", status)
            .toCompletableFuture().get(10, TimeUnit.SECONDS);

        // The CLIENT span ends in a callback of the call's future, which may run after the tick's turn resumed.
        await().atMost(Duration.ofSeconds(10)).until(() -> this.tracing.ended().stream()
            .map(SpanData::getKind)
            .collect(Collectors.toSet())
            .containsAll(List.of(SpanKind.CONSUMER, SpanKind.CLIENT, SpanKind.SERVER)));
        SpanData tick = this.tracing.endedSpan(SpanKind.CONSUMER);
        assertThat(tick.getName()).isEqualTo("Inbox.receiveReminder");
        assertThat(tick.getParentSpanContext().isValid()).as("a root span").isFalse();
        assertThat(tick.getAttributes().asMap()).extractingFromEntries((entry) -> entry.getKey().getKey() + "="
                + entry.getValue())
            .contains("quark.reminder.name=daily");
        SpanData client = this.tracing.endedSpan(SpanKind.CLIENT);
        assertThat(client.getTraceId()).isEqualTo(tick.getTraceId());
        assertThat(client.getParentSpanId()).isEqualTo(tick.getSpanId());
        assertThat(this.tracing.endedSpan(SpanKind.SERVER).getParentSpanId()).isEqualTo(client.getSpanId());
    }

    public interface Inbox extends Remindable {

        @OneWay
        void post(String message);

        List<String> posts();
    }

    @QuarkActor
    public static class InboxActor extends AbstractActor implements Inbox {

        private final List<String> posts = new CopyOnWriteArrayList<>();

        private final Supplier<ActorRuntime> runtime;

        InboxActor(Supplier<ActorRuntime> runtime) {
            this.runtime = runtime;
        }

        @Override
        public void post(String message) {
            this.posts.add(message);
        }

        @Override
        public List<String> posts() {
            return List.copyOf(this.posts);
        }

        /** Posts the reminder's name, and asks another inbox for its posts (a call the tick's turn makes). */
        @Override
        public void receiveReminder(String name, ReminderStatus status) {
            this.posts.add("reminder " + name);
            this.runtime.get().get(Inbox.class, actorId() + "-other").posts();
        }
    }
}
