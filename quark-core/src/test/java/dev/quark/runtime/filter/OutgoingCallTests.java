package dev.quark.runtime.filter;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.Actor;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.MethodDescriptor;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class OutgoingCallTests {

    @Test
    void proceedWithMetadataOfAnImplementationThatDoesNotOverrideItFailsNamingItAndSendsNothing() {
        WrittenBeforeProceedWithMetadata call = new WrittenBeforeProceedWithMetadata();
        assertThatExceptionOfType(UnsupportedOperationException.class)
            .isThrownBy(() -> call.proceed(Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")))
            .withMessage(WrittenBeforeProceedWithMetadata.class.getName() + " cannot proceed with other metadata: it"
                    + " does not implement OutgoingCall.proceed(Map); nothing was sent for old-call");
        assertThat(call.sent).hasValue(0);
        assertThat(call.proceed()).isCompletedWithValue("done");
        assertThat(call.sent).hasValue(1);
    }

    interface Target extends Actor {
    }

    /** An implementation written against the interface before it had {@code proceed(Map)}. */
    private static final class WrittenBeforeProceedWithMetadata implements OutgoingCall {

        private final AtomicInteger sent = new AtomicInteger();

        @Override
        public CompletionStage<@Nullable Object> proceed() {
            this.sent.incrementAndGet();
            return CompletableFuture.completedFuture("done");
        }

        @Override
        public ActorAddress address() {
            return new ActorAddress("target", "one");
        }

        @Override
        public MethodDescriptor method() {
            return new MethodDescriptor(Target.class, "work", "work", 0, List.of(), String.class,
                    MethodDescriptor.CallKind.SYNCHRONOUS);
        }

        @Override
        public List<@Nullable Object> arguments() {
            return List.of();
        }

        @Override
        public String requestId() {
            return "r";
        }

        @Override
        public Map<String, String> metadata() {
            return Map.of();
        }

        @Override
        public long callChainId() {
            return 1;
        }

        @Override
        public long deadlineEpochMillis() {
            return Long.MAX_VALUE;
        }

        @Override
        public String toString() {
            return "old-call";
        }
    }
}
