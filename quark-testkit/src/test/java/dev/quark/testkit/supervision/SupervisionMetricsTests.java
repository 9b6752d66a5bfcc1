package dev.quark.testkit.supervision;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.CallMetrics;
import dev.quark.supervision.Backoff;
import dev.quark.supervision.Directive;
import dev.quark.supervision.SupervisorStrategy;
import dev.quark.testkit.ActorTestKit;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class SupervisionMetricsTests {

    @Test
    void everyDecisionIsReportedWithTheChildsTypeAndDirective() {
        SupervisionLog log = new SupervisionLog();
        Map<String, AtomicInteger> decisions = new ConcurrentHashMap<>();
        ActorMetrics metrics = new ActorMetrics() {

            @Override
            public CallMetrics forMethod(Class<? extends dev.quark.actor.Actor> contract, String method) {
                return CallMetrics.NONE;
            }

            @Override
            public void supervisionDecision(String actorType, Directive directive) {
                decisions.computeIfAbsent(actorType + ":" + directive, (key) -> new AtomicInteger()).incrementAndGet();
            }
        };
        log.strategies().put("P", SupervisorStrategy.oneForOne().backoff(Backoff.NONE).build());
        try (ActorTestKit kit = ActorTestKit.builder()
            .actor(SupervisorActor.class, () -> new SupervisorActor(log))
            .actor(WorkerActor.class, () -> new WorkerActor(log))
            .runtime((runtime) -> runtime.metrics(metrics))
            .build()) {
            kit.get(Supervisor.class, "P").spawn(List.of("w"));
            assertThatIllegalStateException().isThrownBy(() -> kit.get(Worker.class, "w").work("fail"));
            await().atMost(Duration.ofSeconds(5)).until(() -> decisions.containsKey("Worker:RESTART"));
        }
        assertThat(decisions).containsOnlyKeys("Worker:RESTART");
        assertThat(decisions.get("Worker:RESTART")).hasValue(1);
    }
}
