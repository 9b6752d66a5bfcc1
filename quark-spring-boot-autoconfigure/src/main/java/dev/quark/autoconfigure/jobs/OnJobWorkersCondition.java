package dev.quark.autoconfigure.jobs;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches unless {@code quark.jobs.workers} is 0 (or less, which the properties' validation rejects): a node that only
 * enqueues has no orchestrator.
 */
class OnJobWorkersCondition extends SpringBootCondition {

    private static final String PROPERTY = QuarkJobsProperties.PREFIX + ".workers";

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        int workers = Binder.get(context.getEnvironment()).bind(PROPERTY, Integer.class).orElse(1);
        return (workers > 0) ? ConditionOutcome.match(PROPERTY + " is " + workers)
                : ConditionOutcome.noMatch(PROPERTY + " is " + workers + ": this node runs no job");
    }
}
