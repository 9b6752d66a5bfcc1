package dev.quark.samples.jobs;

import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * The reports this node's jobs produced, in memory: a stand-in for object storage, kept per node. Every job
 * records its effect here, and the API shows it ({@code GET /reports/{id}}); jobs run at least once, so each
 * effect is recorded as a count, not assumed to happen once.
 */
@Component
public class ReportArchive {

    private final Map<String, Entry> reports = new ConcurrentHashMap<>();

    private final Clock clock;

    ReportArchive(ObjectProvider<Clock> clock) {
        this.clock = clock.getIfUnique(Clock::systemUTC);
    }

    void fetched(String reportId, String customer, int rows) {
        entry(reportId, customer).fetched(rows);
    }

    void rendered(String reportId, String customer, ReportFormat format) {
        entry(reportId, customer).rendered(format);
    }

    void published(String reportId, String customer, List<ReportFormat> formats) {
        entry(reportId, customer).published(formats, this.clock.instant());
    }

    void ownerNotified(String reportId, String customer) {
        entry(reportId, customer).notified();
    }

    /**
     * Deletes the reports published before an instant.
     * @param cutoff the instant
     * @return how many were deleted
     */
    int deletePublishedBefore(Instant cutoff) {
        int before = this.reports.size();
        this.reports.values().removeIf((entry) -> {
            Instant publishedAt = entry.view().publishedAt();
            return publishedAt != null && publishedAt.isBefore(cutoff);
        });
        return before - this.reports.size();
    }

    /**
     * Returns what this node's jobs did for a report.
     * @param reportId the report's id
     * @return the report, or empty when no job of this node touched it
     */
    public Optional<ReportView> find(String reportId) {
        return Optional.ofNullable(this.reports.get(reportId)).map(Entry::view);
    }

    private Entry entry(String reportId, String customer) {
        return this.reports.computeIfAbsent(reportId, (id) -> new Entry(id, customer));
    }

    /**
     * What this node's jobs did for a report.
     *
     * @param reportId the report's id
     * @param customer whose report it is
     * @param rows the rows its data had, once fetched
     * @param formats the formats rendered
     * @param publications how many times it was published on this node (a job run again publishes again)
     * @param publishedAt when it was last published
     * @param ownerNotifications how many times its owner was told that it failed
     */
    public record ReportView(String reportId, String customer, int rows, Set<ReportFormat> formats,
            int publications, @Nullable Instant publishedAt, int ownerNotifications) {
    }

    private static final class Entry {

        private ReportView view;

        Entry(String reportId, String customer) {
            this.view = new ReportView(reportId, customer, 0, Set.of(), 0, null, 0);
        }

        synchronized ReportView view() {
            return this.view;
        }

        synchronized void fetched(int rows) {
            ReportView v = this.view;
            this.view = new ReportView(v.reportId(), v.customer(), rows, v.formats(), v.publications(), v.publishedAt(),
                    v.ownerNotifications());
        }

        synchronized void rendered(ReportFormat format) {
            ReportView v = this.view;
            EnumSet<ReportFormat> formats = EnumSet.of(format);
            formats.addAll(v.formats());
            this.view = new ReportView(v.reportId(), v.customer(), v.rows(), Set.copyOf(formats), v.publications(),
                    v.publishedAt(), v.ownerNotifications());
        }

        synchronized void published(List<ReportFormat> formats, Instant at) {
            ReportView v = this.view;
            EnumSet<ReportFormat> all = EnumSet.noneOf(ReportFormat.class);
            all.addAll(v.formats());
            all.addAll(formats);
            this.view = new ReportView(v.reportId(), v.customer(), v.rows(), Set.copyOf(all), v.publications() + 1, at,
                    v.ownerNotifications());
        }

        synchronized void notified() {
            ReportView v = this.view;
            this.view = new ReportView(v.reportId(), v.customer(), v.rows(), v.formats(), v.publications(),
                    v.publishedAt(), v.ownerNotifications() + 1);
        }
    }
}
