package dev.quark.benchmarks.durabletasks;

import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.store.StoreJson;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The rows the PostgreSQL store inserts for one instance of an orchestration, read back from one that completed:
 * its instance row, its history events (one row each), its messages (the {@code ExecutionStarted} that scheduled it
 * and each activity's {@code TaskCompleted}, as recorded in the history) and its activity work items (one per
 * {@code TaskScheduled}).
 *
 * @param name the orchestration's name
 * @param input the instance's input, JSON
 * @param output the instance's output, JSON
 * @param history the history events: type and JSON
 * @param messages the messages: type and JSON
 * @param activityInputs the input of each activity work item, JSON
 * @param activityOptions the options of every activity work item, JSON
 */
record OrchestrationRows(String name, String input, String output, List<Event> history, List<Event> messages,
        List<String> activityInputs, String activityOptions) {

    /** One event: its type and JSON. */
    record Event(String type, String json) {
    }

    /**
     * Reads the rows of a completed instance.
     * @param dataSource the store's database
     * @param instanceId the instance
     * @return its rows
     */
    static OrchestrationRows of(DataSource dataSource, String instanceId) {
        JdbcClient jdbc = JdbcClient.create(dataSource);
        List<Event> history = jdbc.sql("select event_type, event from quark_durable_history where instance_id = ? "
                + "order by sequence")
            .param(instanceId)
            .query((row, number) -> new Event(row.getString(1), row.getString(2)))
            .list();
        List<String> instance = jdbc.sql("select name, input, output from quark_durable_instance where instance_id = ?")
            .param(instanceId)
            .query((row, number) -> List.of(row.getString(1), row.getString(2), row.getString(3)))
            .single();
        List<Event> messages = new ArrayList<>();
        List<String> inputs = new ArrayList<>();
        for (Event event : history) {
            switch (event.type()) {
                case "ExecutionStarted", "TaskCompleted" -> messages.add(event);
                case "TaskScheduled" -> inputs.add("1");
                default -> {
                }
            }
        }
        return new OrchestrationRows(instance.get(0), instance.get(1), instance.get(2), history, messages, inputs,
                StoreJson.write(ActivityOptions.DEFAULTS));
    }

    /**
     * Returns how many rows an instance inserts.
     * @return the instance row, history events, messages and activity work items
     */
    int count() {
        return 1 + this.history.size() + this.messages.size() + this.activityInputs.size();
    }
}
