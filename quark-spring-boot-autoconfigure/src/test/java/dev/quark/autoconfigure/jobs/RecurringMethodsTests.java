package dev.quark.autoconfigure.jobs;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobType;
import dev.quark.jobs.OverlapPolicy;
import dev.quark.jobs.Recurring;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.Schedule;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.RecurringMethodHandler;
import org.junit.jupiter.api.Test;

import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.support.ChildBeanDefinition;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@link Recurring} on bean methods: the method is the job, declared at start-up like the recurring jobs of handler
 * classes, and refused at start-up with a message naming the method when it cannot be one.
 */
class RecurringMethodsTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkLeasesAutoConfiguration.class, QuarkJobsAutoConfiguration.class))
        .withPropertyValues("quark.jobs.poll-interval=50ms", "quark.jobs.recurring.poll-interval=50ms");

    @Test
    void aRecurringBeanMethodIsDeclaredAtStartUpAndItsJobsCallIt() {
        this.contextRunner.withBean(Housekeeping.class, Housekeeping::new).run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(JobHandlerRegistry.class).types())
                .contains("housekeeping.purge-sessions", "sweeps-v1");
            JobQueue jobs = context.getBean(JobQueue.class);
            RecurringJob purge = jobs.findRecurring("purge-sessions").orElseThrow();
            assertThat(purge.origin()).isEqualTo(RecurringJob.Origin.DECLARED);
            assertThat(purge.type()).isEqualTo("housekeeping.purge-sessions");
            assertThat(purge.schedule()).isEqualTo(Schedule.every(Duration.ofMillis(200)));
            assertThat(purge.payload()).isEqualTo("{}");
            assertThat(jobs.findRecurring("sweep-hourly").orElseThrow().type()).isEqualTo("sweeps-v1");
            assertThat(jobs.findRecurring("sweep-daily").orElseThrow().overlapPolicy())
                .isEqualTo(OverlapPolicy.QUEUE_ONE);
            Housekeeping housekeeping = context.getBean(Housekeeping.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> housekeeping.purgedBy.size() >= 2);
            assertThat(housekeeping.purgedBy).doesNotHaveDuplicates()
                .allSatisfy((jobId) -> assertThat(jobs.find(jobId)).isPresent());
        });
    }

    @Test
    void anExceptionFromTheMethodFailsTheAttemptWithItsMessage() {
        this.contextRunner.withPropertyValues("quark.jobs.retry.max-attempts=1")
            .withBean(Failing.class, Failing::new)
            .run((context) -> {
                JobQueue jobs = context.getBean(JobQueue.class);
                await().atMost(Duration.ofSeconds(10)).until(() -> deadLettered(jobs).size() >= 1);
                Job job = deadLettered(jobs).getFirst();
                assertThat(job.lastError()).isNotNull();
                assertThat(job.lastError().message()).contains("disk full");
                assertThat(context.getBean(Failing.class).calls.get()).isPositive();
            });
    }

    private static List<Job> deadLettered(JobQueue jobs) {
        return jobs.list(JobQuery.status(JobStatus.DEAD_LETTERED).type("failing.compact"))
            .jobs();
    }

    @Test
    void aMethodWithOtherParametersPreventsStartUpNamingIt() {
        this.contextRunner.withBean(WithArguments.class, WithArguments::new).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure())
                .hasStackTraceContaining("RecurringMethodsTests$WithArguments.rebuild() takes [class java.lang.String]")
                .hasStackTraceContaining("a @Recurring method takes no parameters or one JobContext");
        });
    }

    @Test
    void aPayloadOnAMethodPreventsStartUpNamingIt() {
        this.contextRunner.withBean(WithPayload.class, WithPayload::new).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure())
                .hasStackTraceContaining("@Recurring(id = \"with-payload\") on ")
                .hasStackTraceContaining("RecurringMethodsTests$WithPayload.run() is not valid: a method's jobs have no "
                        + "payload, was '{\"x\":1}'");
        });
    }

    @Test
    void aMethodWithoutAScheduleOrSharingAHandlersTypePreventsStartUpNamingIt() {
        this.contextRunner.withBean(WithoutSchedule.class, WithoutSchedule::new).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).hasStackTraceContaining("@Recurring(id = \"never\") on ")
                .hasStackTraceContaining("set exactly one of cron and every");
        });
        this.contextRunner.withBean(Clashing.class, Clashing::new)
            .withBean(ClashingHandler.class, ClashingHandler::new)
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).hasStackTraceContaining("The job type 'clash' has two handlers")
                    .hasStackTraceContaining("the @Recurring method ")
                    .hasStackTraceContaining("RecurringMethodsTests$Clashing.run()");
            });
    }

    @Test
    void aBeanWhoseDeclaredTypeHidesItsRecurringMethodFailsNamingItInsteadOfNeverRunning() {
        // Created before the job handlers, the bean's class is known and its method registered; created after them
        // (lazily here), it was silently left out.
        this.contextRunner.withBean("reports", ReportService.class, DefaultReportService::new)
            .run((context) -> assertThat(context.getBean(JobQueue.class).findRecurring("render-reports")).isPresent());
        this.contextRunner
            .withBean("reports", ReportService.class, DefaultReportService::new, (definition) -> definition.setLazyInit(true))
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThatThrownBy(() -> context.getBean("reports"))
                    .hasStackTraceContaining("The @Recurring method " + DefaultReportService.class.getName()
                            + ".render() of bean 'reports' was not registered as a job")
                    .hasStackTraceContaining("Declare the bean with its class as the type");
            });
        this.contextRunner
            .withBean("reports", DefaultReportService.class, DefaultReportService::new,
                    (definition) -> definition.setLazyInit(true))
            .run((context) -> {
                assertThat(context.getBean(JobQueue.class).findRecurring("render-reports")).isPresent();
                assertThat(context.getBean("reports")).isInstanceOf(DefaultReportService.class);
            });
    }

    @Test
    void aPrivateRecurringMethodOfAClassProxiedBeanPreventsStartUpNamingIt() {
        this.contextRunner.withBean("proxied", PrivateMethod.class, () -> {
            ProxyFactory factory = new ProxyFactory(new PrivateMethod());
            factory.setProxyTargetClass(true);
            return (PrivateMethod) factory.getProxy();
        }).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure())
                .hasStackTraceContaining("The @Recurring method " + PrivateMethod.class.getName()
                        + ".tidy() of bean 'proxied' cannot be called on the bean's proxy")
                .hasStackTraceContaining("make it public or protected");
        });
    }

    @Test
    void anAbstractBeanDefinitionIsNotAJobOnlyTheBeansMadeFromIt() {
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        RootBeanDefinition parent = new RootBeanDefinition(Housekeeping.class);
        parent.setAbstract(true);
        beanFactory.registerBeanDefinition("parent", parent);
        beanFactory.registerBeanDefinition("child", new ChildBeanDefinition("parent"));
        assertThat(RecurringMethods.find(beanFactory)).extracting(RecurringMethodHandler::type)
            .containsExactlyInAnyOrder("housekeeping.purge-sessions", "sweeps-v1");
    }

    @Test
    void recurringMethodsAreRegisteredForInvocationInANativeImage() throws NoSuchMethodException {
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        beanFactory.registerBeanDefinition("housekeeping", new RootBeanDefinition(Housekeeping.class));
        BeanFactoryInitializationAotContribution contribution = new JobHandlerRuntimeHintsAotProcessor()
            .processAheadOfTime(beanFactory);
        assertThat(contribution).isNotNull();
        TestGenerationContext generationContext = new TestGenerationContext();
        contribution.applyTo(generationContext, null);
        RuntimeHints hints = generationContext.getRuntimeHints();
        assertThat(RuntimeHintsPredicates.reflection()
            .onMethodInvocation(Housekeeping.class.getDeclaredMethod("purgeSessions", JobContext.class))).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(Recurring.class)).accepts(hints);
    }

    static class Housekeeping {

        final List<JobId> purgedBy = new CopyOnWriteArrayList<>();

        @Recurring(id = "purge-sessions", every = "PT0.2S")
        void purgeSessions(JobContext context) {
            this.purgedBy.add(context.jobId());
        }

        @JobType("sweeps-v1")
        @Recurring(id = "sweep-hourly", cron = "@hourly")
        @Recurring(id = "sweep-daily", cron = "@daily", overlapPolicy = OverlapPolicy.QUEUE_ONE)
        public void sweep() {
        }
    }

    interface ReportService {
    }

    static class DefaultReportService implements ReportService {

        @Recurring(id = "render-reports", cron = "@daily")
        public void render() {
        }
    }

    static class PrivateMethod {

        @Recurring(id = "tidy", cron = "@daily")
        private void tidy() {
        }
    }

    static class Failing {

        final AtomicInteger calls = new AtomicInteger();

        @Recurring(id = "compact", every = "PT0.2S")
        void compact() {
            this.calls.incrementAndGet();
            throw new IllegalStateException("disk full");
        }
    }

    static class WithArguments {

        @Recurring(id = "rebuild", every = "PT1H")
        void rebuild(String index) {
        }
    }

    static class WithPayload {

        @Recurring(id = "with-payload", every = "PT1H", payload = "{\"x\":1}")
        void run() {
        }
    }

    static class WithoutSchedule {

        @Recurring(id = "never")
        void run() {
        }
    }

    static class Clashing {

        @JobType("clash")
        @Recurring(id = "clash-method", every = "PT1H")
        void run() {
        }
    }

    @JobType("clash")
    static class ClashingHandler implements JobHandler<String> {

        @Override
        public void handle(String payload, JobContext context) {
        }
    }
}
