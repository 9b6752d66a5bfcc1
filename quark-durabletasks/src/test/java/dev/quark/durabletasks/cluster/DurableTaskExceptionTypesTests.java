package dev.quark.durabletasks.cluster;

import java.time.Duration;
import java.util.List;

import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.RemoteActorException;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.durabletasks.ActivityTimeoutException;
import dev.quark.durabletasks.DurableTaskException;
import dev.quark.durabletasks.EventTimeoutException;
import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.HistoryLimitExceededException;
import dev.quark.durabletasks.NonDeterministicOrchestrationException;
import dev.quark.durabletasks.OrchestrationAlreadyExistsException;
import dev.quark.durabletasks.OrchestrationBlockedException;
import dev.quark.durabletasks.OrchestrationCancelledException;
import dev.quark.durabletasks.OrchestrationNotFoundException;
import dev.quark.durabletasks.OrchestrationStateException;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.PayloadConversionException;
import dev.quark.durabletasks.QueryFailedException;
import dev.quark.durabletasks.TaskFailedException;
import dev.quark.durabletasks.UnknownActivityException;
import dev.quark.durabletasks.UnknownOrchestrationException;
import dev.quark.durabletasks.UnknownQueryException;
import dev.quark.durabletasks.store.HistoryConflictException;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exceptions of quark-durabletasks cross silos through the payload codec as themselves, with message and
 * fields ({@link DurableTaskExceptionTypes}, found by the codec through {@code META-INF/services}).
 */
class DurableTaskExceptionTypesTests {

    private final ActorRuntime runtime = ActorRuntime.builder().build();

    private final PayloadCodec codec = new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime,
            List.of());

    @AfterEach
    void close() {
        this.runtime.close();
    }

    @Test
    void aMissingInstanceCrossesWithItsId() {
        OrchestrationNotFoundException thrown = new OrchestrationNotFoundException("order-7", "raise an event");
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(OrchestrationNotFoundException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getInstanceId()).isEqualTo("order-7");
        });
    }

    @Test
    void aWrongStateCrossesWithInstanceAndStatus() {
        OrchestrationStateException thrown = new OrchestrationStateException("order-7", OrchestrationStatus.COMPLETED,
                "suspend", "cannot be suspended");
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(OrchestrationStateException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getInstanceId()).isEqualTo("order-7");
            assertThat(rebuilt.getStatus()).isEqualTo(OrchestrationStatus.COMPLETED);
        });
    }

    @Test
    void unknownNamesAndEventTimeoutsCrossWithTheName() {
        assertThat(roundTrip(new UnknownActivityException("charge", List.of("ship"))))
            .isInstanceOfSatisfying(UnknownActivityException.class,
                    (rebuilt) -> assertThat(rebuilt.getName()).isEqualTo("charge"));
        assertThat(roundTrip(new UnknownOrchestrationException("order", List.of())))
            .isInstanceOfSatisfying(UnknownOrchestrationException.class,
                    (rebuilt) -> assertThat(rebuilt.getName()).isEqualTo("order"));
        EventTimeoutException timeout = new EventTimeoutException("approved", Duration.ofMinutes(5));
        assertThat(roundTrip(timeout)).isInstanceOfSatisfying(EventTimeoutException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(timeout.getMessage());
            assertThat(rebuilt.getEventName()).isEqualTo("approved");
        });
    }

    @Test
    void exceptionsWithoutFieldsOfTheirOwnCrossWithTheirMessage() {
        List<RuntimeException> thrown = List.of(new OrchestrationCancelledException("order", "order-7", "by ops"),
                new OrchestrationAlreadyExistsException("order-7", "order", "refund"),
                new DurableTaskException("history unreadable", new IllegalStateException("bad row")));
        for (RuntimeException failure : thrown) {
            assertThat(roundTrip(failure)).isExactlyInstanceOf(failure.getClass()).hasMessage(failure.getMessage());
        }
    }

    @Test
    void aFailedActivityCrossesWithTaskAndTheRecordedFailure() {
        FailureDetails details = new FailureDetails(IllegalStateException.class.getName(), "card declined",
                "java.lang.IllegalStateException: card declined\n\tat com.example.Charge.run(Charge.java:12)\n");
        TaskFailedException thrown = new TaskFailedException("activity", "charge-card", 3, details);
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(TaskFailedException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getTaskName()).isEqualTo("charge-card");
            assertThat(rebuilt.getTaskId()).isEqualTo(3);
            assertThat(rebuilt.getFailure()).isEqualTo(details);
            assertThat(rebuilt.getFailure().isCausedBy(IllegalStateException.class)).isTrue();
        });
    }

    @Test
    void aFailedTaskWithoutMessageOrTraceCrossesWithout() {
        FailureDetails details = new FailureDetails("com.example.CardException", null, null);
        TaskFailedException thrown = new TaskFailedException("orchestration", "payment", 0, details);
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(TaskFailedException.class,
                (rebuilt) -> assertThat(rebuilt.getFailure()).isEqualTo(details));
    }

    @Test
    void aLongRecordedStackTraceIsCutLikeAMessage() {
        String trace = "x".repeat(FailureDetails.MAX_STACK_TRACE);
        TaskFailedException thrown = new TaskFailedException("activity", "charge-card", 1,
                new FailureDetails("java.lang.IllegalStateException", "boom", trace));
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(TaskFailedException.class, (rebuilt) -> {
            assertThat(rebuilt.getFailure().message()).isEqualTo("boom");
            assertThat(rebuilt.getFailure().stackTrace()).isEqualTo("x".repeat(4096) + "...");
        });
    }

    @Test
    void aFailedTaskWithoutItsFailureTypeArrivesAsARemoteException() {
        String json = "{\"type\":\"" + TaskFailedException.class.getName() + "\",\"message\":\"failed\","
                + "\"fields\":{\"taskName\":\"charge-card\",\"taskId\":3}}";
        assertThat(this.codec.decodeFailure(json.getBytes(UTF_8))).isInstanceOfSatisfying(RemoteActorException.class,
                (remote) -> assertThat(remote.remoteType()).isEqualTo(TaskFailedException.class.getName()));
    }

    @Test
    void aNonDeterministicReplayCrossesWithBothSides() {
        NonDeterministicOrchestrationException thrown = new NonDeterministicOrchestrationException("order", "o-42",
                "task 2", "activity 'charge-card' (event 7)", "called activity 'reserve'");
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(NonDeterministicOrchestrationException.class,
                (rebuilt) -> {
                    assertThat(rebuilt).hasMessage(thrown.getMessage());
                    assertThat(rebuilt.getInstanceId()).isEqualTo("o-42");
                    assertThat(rebuilt.getStep()).isEqualTo("task 2");
                    assertThat(rebuilt.getHistorySide()).isEqualTo("activity 'charge-card' (event 7)");
                    assertThat(rebuilt.getCodeSide()).isEqualTo("called activity 'reserve'");
                });
    }

    @Test
    void aFailedQueryCrossesWithInstanceQueryAndCause() {
        QueryFailedException thrown = new QueryFailedException("o-42", "progress",
                new IllegalStateException("not ready"));
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(QueryFailedException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getInstanceId()).isEqualTo("o-42");
            assertThat(rebuilt.getQueryName()).isEqualTo("progress");
            assertThat(rebuilt.getCause()).isExactlyInstanceOf(IllegalStateException.class).hasMessage("not ready");
        });
    }

    @Test
    void anUnknownQueryCrossesWithInstanceAndQuery() {
        UnknownQueryException thrown = new UnknownQueryException("o-42", "order", "eta", List.of("progress"));
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(UnknownQueryException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getInstanceId()).isEqualTo("o-42");
            assertThat(rebuilt.getQueryName()).isEqualTo("eta");
        });
    }

    @Test
    void historyFailuresCrossWithTheirCounts() {
        HistoryLimitExceededException limit = new HistoryLimitExceededException("o-42", 10_001, 10_000);
        assertThat(roundTrip(limit)).isInstanceOfSatisfying(HistoryLimitExceededException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(limit.getMessage());
            assertThat(rebuilt.getInstanceId()).isEqualTo("o-42");
            assertThat(rebuilt.getEvents()).isEqualTo(10_001);
            assertThat(rebuilt.getLimit()).isEqualTo(10_000);
        });
        HistoryConflictException gone = new HistoryConflictException("o-42", 7, -1);
        assertThat(roundTrip(gone)).isInstanceOfSatisfying(HistoryConflictException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(gone.getMessage());
            assertThat(rebuilt.getInstanceId()).isEqualTo("o-42");
            assertThat(rebuilt.getExpected()).isEqualTo(7);
            assertThat(rebuilt.getActual()).isEqualTo(-1);
        });
    }

    @Test
    void aPayloadConversionCrossesWithItsMessageAndCause() {
        PayloadConversionException thrown = new PayloadConversionException("the input of orchestration 'order'",
                Integer.class, new IllegalArgumentException("not a number"));
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(PayloadConversionException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getCause()).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a number");
        });
    }

    @Test
    void timeoutsCrossWithWhatTimedOutAndHowLongItHad() {
        ActivityTimeoutException activity = new ActivityTimeoutException("charge-card", "start-to-close",
                Duration.ofMillis(1500));
        assertThat(roundTrip(activity)).isInstanceOfSatisfying(ActivityTimeoutException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(activity.getMessage());
            assertThat(rebuilt.getActivityName()).isEqualTo("charge-card");
            assertThat(rebuilt.getTimeout()).isEqualTo("start-to-close");
            assertThat(rebuilt.getTimeoutValue()).isEqualTo(Duration.ofMillis(1500));
        });
        OrchestrationBlockedException blocked = new OrchestrationBlockedException("order", "o-42",
                Duration.ofSeconds(10), "\tat java.lang.Thread.sleep(Thread.java)");
        assertThat(roundTrip(blocked)).isInstanceOfSatisfying(OrchestrationBlockedException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(blocked.getMessage());
            assertThat(rebuilt.getOrchestration()).isEqualTo("order");
            assertThat(rebuilt.getInstanceId()).isEqualTo("o-42");
            assertThat(rebuilt.getTimeout()).isEqualTo(Duration.ofSeconds(10));
        });
    }

    @Test
    void aTimeoutWhoseDurationDoesNotParseArrivesAsARemoteException() {
        String json = "{\"type\":\"" + ActivityTimeoutException.class.getName() + "\",\"message\":\"late\","
                + "\"fields\":{\"activityName\":\"charge-card\",\"timeout\":\"start-to-close\","
                + "\"timeoutValue\":\"1.5 seconds\"}}";
        assertThat(this.codec.decodeFailure(json.getBytes(UTF_8))).isInstanceOfSatisfying(RemoteActorException.class,
                (remote) -> assertThat(remote.remoteType()).isEqualTo(ActivityTimeoutException.class.getName()));
    }

    private Throwable roundTrip(Throwable failure) {
        return this.codec.decodeFailure(this.codec.encodeFailure(failure));
    }
}
