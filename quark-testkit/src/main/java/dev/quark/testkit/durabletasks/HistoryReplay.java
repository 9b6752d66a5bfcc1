package dev.quark.testkit.durabletasks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import dev.quark.durabletasks.OrchestrationNotFoundException;
import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.replay.OrchestrationReplayer;
import dev.quark.durabletasks.replay.RecordedHistory;
import dev.quark.durabletasks.replay.ReplayResult;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.InstanceRecord;

/**
 * Checks in tests that changed orchestration code still replays the histories of instances in flight: record
 * histories to files while they are representative (from a test run or a production store), keep the files with the
 * tests, and replay them against the code of every build.
 * <pre>{@code
 * // once: HistoryReplay.record(store, "order-42", Path.of("src/test/resources/histories/order-42.json"));
 * @Test
 * void orderChangesKeepOldOrdersReplayable() {
 *     HistoryReplay.assertDeterministic(new OrchestrationReplayer(registry, converter),
 *             Path.of("src/test/resources/histories/order-42.json"));
 * }
 * }</pre>
 */
public final class HistoryReplay {

    private HistoryReplay() {
    }

    /**
     * Writes an instance's current history to a file.
     * @param store the store
     * @param instanceId the instance
     * @param file the file, replaced if it exists
     * @return the history written
     * @throws OrchestrationNotFoundException when the instance does not exist
     */
    public static RecordedHistory record(DurableTaskStore store, String instanceId, Path file) {
        InstanceRecord instance = store.instance(instanceId)
            .orElseThrow(() -> new OrchestrationNotFoundException(instanceId, "record the history of"));
        RecordedHistory history = new RecordedHistory(instanceId, instance.execution(), store.history(instanceId));
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, history.toJson());
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot write the history of '" + instanceId + "' to " + file, ex);
        }
        return history;
    }

    /**
     * Reads a history written by {@link #record}.
     * @param file the file
     * @return the history
     */
    public static RecordedHistory read(Path file) {
        try {
            return RecordedHistory.fromJson(Files.readString(file));
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot read a recorded history from " + file, ex);
        }
    }

    /**
     * Replays recorded histories and fails when any does not match the code.
     * @param replayer the replayer, with the code to check
     * @param files the histories
     * @return the results
     * @throws AssertionError listing every divergence
     */
    public static List<ReplayResult> assertDeterministic(OrchestrationReplayer replayer, Path... files) {
        List<ReplayResult> results = new ArrayList<>();
        for (Path file : files) {
            results.add(replayer.replay(read(file)));
        }
        return check(results);
    }

    /**
     * Replays the instances of a store a query finds and fails when any does not match the code.
     * @param replayer the replayer, with the code to check
     * @param store the store
     * @param query which instances
     * @return the results
     * @throws AssertionError listing every divergence
     */
    public static List<ReplayResult> assertDeterministic(OrchestrationReplayer replayer, DurableTaskStore store,
            OrchestrationQuery query) {
        return check(replayer.replayAll(store, query));
    }

    private static List<ReplayResult> check(List<ReplayResult> results) {
        List<ReplayResult> diverged = results.stream().filter((result) -> !result.isDeterministic()).toList();
        if (!diverged.isEmpty()) {
            throw new AssertionError(diverged.size() + " of " + results.size()
                    + " histories do not replay with this code:\n" + diverged.stream()
                        .map((result) -> "- " + result.divergence().getMessage())
                        .collect(Collectors.joining("\n")));
        }
        return results;
    }
}
