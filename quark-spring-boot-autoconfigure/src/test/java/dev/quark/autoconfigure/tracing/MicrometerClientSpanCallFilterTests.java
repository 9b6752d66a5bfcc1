package dev.quark.autoconfigure.tracing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.filter.OutgoingCall;
import dev.quark.testkit.filter.StubActorCall;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class MicrometerClientSpanCallFilterTests {

    private final InMemoryTracer tracing = new InMemoryTracer();

    private final Tracer tracer = this.tracing.tracer;

    private final MicrometerClientSpanCallFilter filter = new MicrometerClientSpanCallFilter(this.tracer,
            this.tracing.propagator);

    @AfterEach
    void close() {
        this.tracing.close();
    }

    @Test
    void filterWithoutACurrentSpanShouldSendTheCallAsItIsWithoutASpan() throws Throwable {
        Call call = new Call(Map.of("tenant", "acme"), (metadata) -> CompletableFuture.completedFuture("done"));
        assertThat(this.filter.filter(call).toCompletableFuture().join()).isEqualTo("done");
        assertThat(call.sentWith).isEqualTo(Map.of("tenant", "acme"));
        assertThat(call.proceededWithMetadata).isFalse();
        assertThat(this.tracing.ended()).isEmpty();
    }

    @Test
    void filterInASpanThatIsNotSampledShouldSendTheCallAsItIsWithoutASpan() throws Throwable {
        Call call = new Call(Map.of("tenant", "acme"), (metadata) -> CompletableFuture.completedFuture("done"));
        try (InMemoryTracer unsampled = new InMemoryTracer(Sampler.alwaysOff())) {
            MicrometerClientSpanCallFilter filter = new MicrometerClientSpanCallFilter(unsampled.tracer,
                    unsampled.propagator);
            Span caller = unsampled.caller();
            try (Tracer.SpanInScope scope = unsampled.tracer.withSpan(caller)) {
                assertThat(caller.context().sampled()).isFalse();
                assertThat(filter.filter(call).toCompletableFuture().join()).isEqualTo("done");
            }
            finally {
                caller.end();
            }
            assertThat(unsampled.ended()).isEmpty();
        }
        assertThat(call.proceededWithMetadata).as("no client span: its context would say not sampled").isFalse();
        assertThat(call.sentWith).isEqualTo(Map.of("tenant", "acme"));
    }

    @Test
    void filterInASpanShouldSendTheCallWithTheContextOfAClientSpanEndedWithTheOutcome() throws Throwable {
        CompletableFuture<@Nullable Object> answer = new CompletableFuture<>();
        Map<String, String> stale = Map.of("tenant", "acme", "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        Call call = new Call(stale, (metadata) -> answer);
        Span caller = this.tracing.caller();
        CompletionStage<@Nullable Object> outcome;
        try (Tracer.SpanInScope scope = this.tracer.withSpan(caller)) {
            outcome = this.filter.filter(call);
            assertThat(this.tracer.currentSpan().context().spanId()).as("the caller's span stays current")
                .isEqualTo(caller.context().spanId());
        }
        finally {
            caller.end();
        }
        assertThat(outcome).isSameAs(answer);
        assertThat(this.tracing.ended()).as("not ended before the outcome").extracting(SpanData::getName)
            .containsExactly("caller");
        answer.complete("done");

        SpanData client = clientSpan();
        assertThat(client.getName()).isEqualTo("traced.work");
        assertThat(client.getTraceId()).isEqualTo(caller.context().traceId());
        assertThat(client.getParentSpanId()).isEqualTo(caller.context().spanId());
        assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(client.getAttributes().asMap()).extractingFromEntries((entry) -> entry.getKey().getKey() + "="
                + entry.getValue())
            .contains("quark.actor.type=traced", "quark.actor.id=one", "quark.actor.method=work");
        assertThat(call.sentWith).containsEntry("tenant", "acme")
            .hasEntrySatisfying("traceparent", (traceparent) -> assertThat(traceparent)
                .startsWith("00-" + client.getTraceId() + "-" + client.getSpanId() + "-"));
    }

    @Test
    void filterShouldRecordTheFailureOfTheCallOnTheClientSpan() throws Throwable {
        CompletableFuture<@Nullable Object> answer = new CompletableFuture<>();
        inSpan(new Call(Map.of(), (metadata) -> answer));
        answer.completeExceptionally(new IllegalStateException("insufficient funds"));
        SpanData client = clientSpan();
        assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(client.getEvents()).anySatisfy((event) -> assertThat(event.getAttributes().asMap().values())
            .contains("insufficient funds"));
    }

    @Test
    void filterShouldEndTheClientSpanOfATimedOutCallWithTheTimeout() throws Throwable {
        CompletableFuture<@Nullable Object> answer = new CompletableFuture<>();
        inSpan(new Call(Map.of(), (metadata) -> answer));
        answer.completeExceptionally(new ActorCallTimeoutException("traced/one", "work", Duration.ofSeconds(1)));
        SpanData client = clientSpan();
        assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(client.getEvents()).anySatisfy((event) -> assertThat(event.getAttributes().asMap().values())
            .contains(ActorCallTimeoutException.class.getName()));
    }

    @Test
    void filterShouldEndTheClientSpanWithTheTimeoutWhenTheInnerStageIsNotAFutureAndNeverCompletes() throws Throwable {
        CompletionStage<@Nullable Object> never = new CompletableFuture<@Nullable Object>().minimalCompletionStage();
        Span caller = this.tracing.caller();
        CompletionStage<@Nullable Object> outcome;
        try (Tracer.SpanInScope scope = this.tracer.withSpan(caller)) {
            outcome = this.filter.filter(new Call(Map.of(), (metadata) -> never));
        }
        finally {
            caller.end();
        }
        // What the runtime does when the call timeout passes: it completes the future of the stage it was given.
        outcome.toCompletableFuture()
            .completeExceptionally(new ActorCallTimeoutException("traced/one", "work", Duration.ofSeconds(1)));
        SpanData client = clientSpan();
        assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(client.getEvents()).anySatisfy((event) -> assertThat(event.getAttributes().asMap().values())
            .contains(ActorCallTimeoutException.class.getName()));
    }

    @Test
    void filterShouldGiveTheOutcomeOfAnInnerStageThatIsNotAFutureAndEndTheClientSpanWithIt() throws Throwable {
        CompletableFuture<@Nullable Object> answer = new CompletableFuture<>();
        Span caller = this.tracing.caller();
        CompletionStage<@Nullable Object> outcome;
        try (Tracer.SpanInScope scope = this.tracer.withSpan(caller)) {
            outcome = this.filter.filter(new Call(Map.of(), (metadata) -> answer.minimalCompletionStage()));
        }
        finally {
            caller.end();
        }
        answer.complete("done");
        assertThat(outcome.toCompletableFuture()).isCompletedWithValue("done");
        assertThat(clientSpan().getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    }

    @Test
    void filterForAOneWayCallShouldEndAProducerSpanOnceTheCallIsHandedOver() throws Throwable {
        Call call = new Call(Map.of(), MethodDescriptor.CallKind.ONE_WAY,
                (metadata) -> CompletableFuture.completedFuture(null));
        inSpan(call);
        SpanData producer = this.tracing.endedSpan(SpanKind.PRODUCER);
        assertThat(producer.getName()).isEqualTo("traced.work");
        assertThat(producer.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(this.tracing.ended()).extracting(SpanData::getKind).doesNotContain(SpanKind.CLIENT);
        assertThat(call.sentWith).hasEntrySatisfying("traceparent", (traceparent) -> assertThat(traceparent)
            .startsWith("00-" + producer.getTraceId() + "-" + producer.getSpanId() + "-"));
    }

    @Test
    void filterForAOneWayCallWhoseInnerFilterReturnsAStageThatNeverCompletesShouldEndItsSpanAtHandOver()
            throws Throwable {
        CompletableFuture<@Nullable Object> never = new CompletableFuture<>();
        Call call = new Call(Map.of(), MethodDescriptor.CallKind.ONE_WAY, (metadata) -> never);
        Span caller = this.tracing.caller();
        CompletionStage<@Nullable Object> outcome;
        try (Tracer.SpanInScope scope = this.tracer.withSpan(caller)) {
            outcome = this.filter.filter(call);
        }
        finally {
            caller.end();
        }
        assertThat(outcome).isSameAs(never);
        SpanData producer = this.tracing.endedSpan(SpanKind.PRODUCER);
        assertThat(producer.getParentSpanId()).isEqualTo(caller.context().spanId());
        assertThat(producer.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        never.completeExceptionally(new IllegalStateException("too late"));
        assertThat(this.tracing.ended()).as("ended once, before the stage completed").hasSize(2);
    }

    @Test
    void filterForAOneWayCallThatFailedToBeDeliveredShouldRecordTheFailureOnItsSpan() throws Throwable {
        Call call = new Call(Map.of(), MethodDescriptor.CallKind.ONE_WAY,
                (metadata) -> CompletableFuture.failedFuture(new IllegalStateException("mailbox full")));
        inSpan(call);
        SpanData producer = this.tracing.endedSpan(SpanKind.PRODUCER);
        assertThat(producer.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(producer.getEvents()).anySatisfy((event) -> assertThat(event.getAttributes().asMap().values())
            .contains("mailbox full"));
    }

    @Test
    void filterShouldEndTheClientSpanWithTheFailureWhenTheCallCannotBeSent() {
        Call call = new Call(Map.of(), (metadata) -> {
            throw new IllegalStateException("no route");
        });
        assertThatIllegalStateException().isThrownBy(() -> inSpan(call)).withMessage("no route");
        assertThat(clientSpan().getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    }

    @Test
    void filterWhenThePropagatorFailsToWriteTheContextShouldEndTheSpanAndSendTheCallAsItIs() throws Throwable {
        Propagator failing = new Propagator() {

            @Override
            public List<String> fields() {
                return List.of("traceparent");
            }

            @Override
            public <C> void inject(TraceContext context, @Nullable C carrier, Setter<C> setter) {
                throw new IllegalArgumentException("cannot write");
            }

            @Override
            public <C> Span.Builder extract(C carrier, Getter<C> getter) {
                return Span.Builder.NOOP;
            }
        };
        Map<String, String> callers = Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        Call call = new Call(callers, (metadata) -> CompletableFuture.completedFuture("done"));
        Span caller = this.tracing.caller();
        try (Tracer.SpanInScope scope = this.tracer.withSpan(caller)) {
            assertThat(new MicrometerClientSpanCallFilter(this.tracer, failing).filter(call).toCompletableFuture().join())
                .isEqualTo("done");
        }
        finally {
            caller.end();
        }
        assertThat(call.sentWith).isEqualTo(callers);
        assertThat(this.tracing.ended()).extracting(SpanData::getName)
            .containsExactlyInAnyOrder("caller", "traced.work");
    }

    private void inSpan(Call call) throws Throwable {
        Span caller = this.tracing.caller();
        try (Tracer.SpanInScope scope = this.tracer.withSpan(caller)) {
            this.filter.filter(call);
        }
        finally {
            caller.end();
        }
    }

    private SpanData clientSpan() {
        return this.tracing.endedSpan(SpanKind.CLIENT);
    }

    interface Traced extends Actor {
    }

    /** A call whose sending is {@code send}, given the metadata the call is sent with. */
    private static final class Call extends StubActorCall implements OutgoingCall {

        private final Function<Map<String, String>, CompletionStage<@Nullable Object>> send;

        private @Nullable Map<String, String> sentWith;

        private boolean proceededWithMetadata;

        Call(Map<String, String> metadata, Function<Map<String, String>, CompletionStage<@Nullable Object>> send) {
            this(metadata, MethodDescriptor.CallKind.SYNCHRONOUS, send);
        }

        Call(Map<String, String> metadata, MethodDescriptor.CallKind kind,
                Function<Map<String, String>, CompletionStage<@Nullable Object>> send) {
            super(new ActorAddress("traced", "one"), StubActorCall.work(Traced.class, kind), metadata);
            this.send = send;
        }

        @Override
        public CompletionStage<@Nullable Object> proceed() {
            this.sentWith = metadata();
            return this.send.apply(metadata());
        }

        @Override
        public CompletionStage<@Nullable Object> proceed(Map<String, String> metadata) {
            this.proceededWithMetadata = true;
            this.sentWith = metadata;
            return this.send.apply(metadata);
        }
    }
}
