package dev.quark.durabletasks.internal;

import java.time.Instant;

import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.ParentClosePolicy;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.SubOrchestrationCreated;
import dev.quark.durabletasks.history.TaskScheduled;
import dev.quark.durabletasks.history.TimerCreated;
import dev.quark.durabletasks.history.VersionMarker;
import org.jspecify.annotations.Nullable;

/**
 * A decision an orchestration's code made: start a task, or record a version. The first time it is made it becomes
 * a history event; on replay it is matched with that event.
 */
sealed interface Action {

    /**
     * Returns the task number, or {@code -1} for a decision that is not a task.
     */
    int taskId();

    /**
     * Describes the decision for a non-determinism report, for instance {@code activity 'charge'}.
     */
    String describe();

    /**
     * Returns whether a history event records this decision.
     */
    boolean isRecordedBy(HistoryEvent event);

    /**
     * Returns the history event that records this decision.
     */
    HistoryEvent event(Instant timestamp);

    record ScheduleActivity(int taskId, String name, @Nullable String input, ActivityOptions options) implements Action {

        @Override
        public String describe() {
            return "activity '" + this.name + "'";
        }

        @Override
        public boolean isRecordedBy(HistoryEvent event) {
            return event instanceof TaskScheduled scheduled && scheduled.name().equals(this.name);
        }

        @Override
        public HistoryEvent event(Instant timestamp) {
            return new TaskScheduled(timestamp, this.taskId, this.name, this.input);
        }
    }

    record CreateTimer(int taskId, Instant fireAt) implements Action {

        @Override
        public String describe() {
            return "a timer";
        }

        @Override
        public boolean isRecordedBy(HistoryEvent event) {
            return event instanceof TimerCreated;
        }

        @Override
        public HistoryEvent event(Instant timestamp) {
            return new TimerCreated(timestamp, this.taskId, this.fireAt);
        }
    }

    record StartSubOrchestration(int taskId, String name, String instanceId, @Nullable String input,
            ParentClosePolicy parentClosePolicy) implements Action {

        @Override
        public String describe() {
            return "sub-orchestration '" + this.name + "'";
        }

        @Override
        public boolean isRecordedBy(HistoryEvent event) {
            return event instanceof SubOrchestrationCreated created && created.name().equals(this.name);
        }

        @Override
        public HistoryEvent event(Instant timestamp) {
            return new SubOrchestrationCreated(timestamp, this.taskId, this.name, this.instanceId, this.input,
                    this.parentClosePolicy);
        }
    }

    record RecordVersion(String changeId, int version) implements Action {

        @Override
        public int taskId() {
            return -1;
        }

        @Override
        public String describe() {
            return "version " + this.version + " of change '" + this.changeId + "'";
        }

        @Override
        public boolean isRecordedBy(HistoryEvent event) {
            return event instanceof VersionMarker marker && marker.changeId().equals(this.changeId);
        }

        @Override
        public HistoryEvent event(Instant timestamp) {
            return new VersionMarker(timestamp, this.changeId, this.version);
        }
    }
}
