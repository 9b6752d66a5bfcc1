package dev.quark.jobs.runtime;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

import dev.quark.jobs.store.JobDueNotice;

/**
 * Hands the notices a node heard from the other nodes ({@link JobDueNotice} payloads) to its orchestrator: the types
 * of jobs due now in one {@link JobOrchestrator#jobsDue} call, each job due later to
 * {@link JobOrchestrator#noticeHeard}.
 */
final class JobDueNotices {

    private JobDueNotices() {
    }

    /**
     * Tells the orchestrator what the payloads say.
     * @param orchestrator the workers to wake
     * @param payloads what was heard, none missed
     */
    static void tell(JobOrchestrator orchestrator, Collection<String> payloads) {
        Set<String> dueNow = new HashSet<>();
        for (String payload : payloads) {
            JobDueNotice notice = JobDueNotice.parse(payload);
            if (notice.dueAt() == null) {
                dueNow.add(notice.type());
            }
            else {
                orchestrator.noticeHeard(notice.type(), notice.dueAt());
            }
        }
        if (!dueNow.isEmpty()) {
            orchestrator.jobsDue(dueNow);
        }
    }
}
