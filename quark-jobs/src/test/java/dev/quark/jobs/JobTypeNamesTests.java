package dev.quark.jobs;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class JobTypeNamesTests {

    @Test
    void aTypeIsDerivedFromTheClassNameWithoutItsSuffixInKebabCase() {
        assertThat(new SendInvoiceHandler().type()).isEqualTo("send-invoice");
        assertThat(JobTypeNames.of(NightlyReportJobHandler.class)).isEqualTo("nightly-report");
        assertThat(JobTypeNames.of(PDFExportJob.class)).isEqualTo("pdf-export");
        assertThat(JobTypeNames.of(Handler.class)).isEqualTo("handler");
    }

    @Test
    void jobTypeAnnotationNamesTheTypeAndSurvivesASubclassGeneratedAroundTheHandler() {
        assertThat(new Pinned().type()).isEqualTo("billing.charge-v2");
        assertThat(JobTypeNames.of(Pinned$$SpringCGLIB$$0.class)).isEqualTo("billing.charge-v2");
    }

    @Test
    void aLambdaHasNoTypeToDerive() {
        JobHandler<String> lambda = (payload, context) -> {
        };
        assertThatIllegalArgumentException().isThrownBy(lambda::type)
            .withMessageContaining("Cannot derive a job type from")
            .withMessageContaining("@JobType");
    }

    @Test
    void aRecurringMethodsTypeIsItsClassAndMethodInKebabCaseUnlessPinned() throws NoSuchMethodException {
        assertThat(JobTypeNames.of(HousekeepingTasks.class, HousekeepingTasks.class.getDeclaredMethod("purgeOldSessions")))
            .isEqualTo("housekeeping-tasks.purge-old-sessions");
        assertThat(JobTypeNames.of(HousekeepingTasks.class, HousekeepingTasks.class.getDeclaredMethod("pinned")))
            .isEqualTo("housekeeping.pinned-v1");
        assertThat(JobTypeNames.of(Pinned$$SpringCGLIB$$0.class, HousekeepingTasks.class.getDeclaredMethod("purgeOldSessions")))
            .isEqualTo("pinned.purge-old-sessions");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> JobTypeNames.of(HousekeepingTasks.class, HousekeepingTasks.class.getDeclaredMethod("badlyPinned")))
            .withMessageStartingWith("'bad type' is not a job type");
    }

    @Test
    void invalidTypesAreRefusedNamingThem() {
        assertThatIllegalArgumentException().isThrownBy(() -> JobTypeNames.requireValid("send invoice"))
            .withMessageStartingWith("'send invoice' is not a job type");
        assertThatIllegalArgumentException().isThrownBy(() -> JobTypeNames.requireValid("-x"));
        assertThatIllegalArgumentException().isThrownBy(() -> JobTypeNames.requireValid("x".repeat(201)));
        assertThat(JobTypeNames.requireValid("Tenant:42.import_v2-b")).isEqualTo("Tenant:42.import_v2-b");
    }

    static class SendInvoiceHandler implements JobHandler<String> {

        @Override
        public void handle(String payload, JobContext context) {
        }
    }

    static class NightlyReportJobHandler {
    }

    static class PDFExportJob {
    }

    static class Handler {
    }

    @JobType("billing.charge-v2")
    static class Pinned implements JobHandler<String> {

        @Override
        public void handle(String payload, JobContext context) {
        }
    }

    static class Pinned$$SpringCGLIB$$0 extends Pinned {
    }

    static class HousekeepingTasks {

        void purgeOldSessions() {
        }

        @JobType("housekeeping.pinned-v1")
        void pinned() {
        }

        @JobType("bad type")
        void badlyPinned() {
        }
    }
}
