package dev.quark.jobs.cluster;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.RemoteActorException;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.jobs.InvalidWorkflowException;
import dev.quark.jobs.JobAbandonedException;
import dev.quark.jobs.JobCancelledException;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobNotFoundException;
import dev.quark.jobs.JobPayloadException;
import dev.quark.jobs.JobTimeoutException;
import dev.quark.jobs.JobVetoedException;
import dev.quark.jobs.NonRetryableJobException;
import dev.quark.jobs.UnknownJobTypeException;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowNotFoundException;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exceptions of quark-jobs cross silos through the payload codec as themselves, with message and fields
 * ({@link JobExceptionTypes}, found by the codec through {@code META-INF/services}).
 */
class JobExceptionTypesTests {

    private final ActorRuntime runtime = ActorRuntime.builder().build();

    private final PayloadCodec codec = new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime,
            List.of());

    private final JobId id = new JobId(UUID.fromString("0191e5a4-9c3b-7d2e-8f00-1a2b3c4d5e6f"));

    @AfterEach
    void close() {
        this.runtime.close();
    }

    @Test
    void aMissingJobCrossesWithItsId() {
        JobNotFoundException thrown = new JobNotFoundException(this.id);
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(JobNotFoundException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getId()).isEqualTo(this.id);
        });
    }

    @Test
    void aMissingWorkflowCrossesWithItsId() {
        WorkflowId workflow = new WorkflowId(this.id.value());
        assertThat(roundTrip(new WorkflowNotFoundException(workflow)))
            .isInstanceOfSatisfying(WorkflowNotFoundException.class,
                    (rebuilt) -> assertThat(rebuilt.getId()).isEqualTo(workflow));
    }

    @Test
    void aVetoCrossesWithFilterAndReason() {
        JobVetoedException thrown = new JobVetoedException("quota", "send-mail", "over the daily quota");
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(JobVetoedException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getFilter()).isEqualTo("quota");
            assertThat(rebuilt.getReason()).isEqualTo("over the daily quota");
        });
    }

    @Test
    void anUnknownJobTypeCrossesWithTheType() {
        UnknownJobTypeException thrown = new UnknownJobTypeException("send-fax", List.of("send-mail"));
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(UnknownJobTypeException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getType()).isEqualTo("send-fax");
        });
    }

    @Test
    void exceptionsWithoutFieldsOfTheirOwnCrossWithTheirMessage() {
        List<RuntimeException> thrown = List.of(new JobCancelledException("cancelled by ops"),
                new NonRetryableJobException("bad address"),
                new JobPayloadException("cannot read the payload", new IllegalArgumentException("bad json")),
                new InvalidWorkflowException("a cycle", null));
        for (RuntimeException failure : thrown) {
            assertThat(roundTrip(failure)).isExactlyInstanceOf(failure.getClass()).hasMessage(failure.getMessage());
        }
    }

    @Test
    void aTimeoutCrossesWithJobTypeAttemptAndTimeout() {
        JobTimeoutException thrown = new JobTimeoutException(this.id, "send-mail", 2, Duration.ofMillis(5250));
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(JobTimeoutException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getId()).isEqualTo(this.id);
            assertThat(rebuilt.getType()).isEqualTo("send-mail");
            assertThat(rebuilt.getAttempt()).isEqualTo(2);
            assertThat(rebuilt.getTimeout()).isEqualTo(Duration.ofMillis(5250));
        });
    }

    @Test
    void anAbandonedAttemptCrossesWithJobAttemptAndOwner() {
        JobAbandonedException thrown = new JobAbandonedException(this.id, 3, "silo-a");
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(JobAbandonedException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getId()).isEqualTo(this.id);
            assertThat(rebuilt.getAttempt()).isEqualTo(3);
            assertThat(rebuilt.getOwner()).isEqualTo("silo-a");
        });
    }

    @Test
    void anAbandonedAttemptOfAnUnknownOwnerCrossesWithoutOne() {
        JobAbandonedException thrown = new JobAbandonedException(this.id, 1, null);
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(JobAbandonedException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getAttempt()).isEqualTo(1);
            assertThat(rebuilt.getOwner()).isNull();
        });
    }

    @Test
    void aTimeoutWithoutItsFieldsArrivesAsARemoteException() {
        byte[] payload = ("{\"type\":\"dev.quark.jobs.JobTimeoutException\",\"message\":\"late\","
                + "\"fields\":{\"id\":\"" + this.id + "\",\"type\":\"send-mail\",\"attempt\":2}}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(this.codec.decodeFailure(payload)).isInstanceOfSatisfying(RemoteActorException.class,
                (remote) -> assertThat(remote.remoteType()).isEqualTo(JobTimeoutException.class.getName()));
    }

    @Test
    void aVetoWithoutItsFieldsArrivesAsARemoteException() {
        byte[] payload = ("{\"type\":\"dev.quark.jobs.JobVetoedException\",\"message\":\"vetoed\"}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(this.codec.decodeFailure(payload)).isInstanceOfSatisfying(RemoteActorException.class,
                (remote) -> assertThat(remote.remoteType()).isEqualTo(JobVetoedException.class.getName()));
    }

    private Throwable roundTrip(Throwable failure) {
        return this.codec.decodeFailure(this.codec.encodeFailure(failure));
    }
}
