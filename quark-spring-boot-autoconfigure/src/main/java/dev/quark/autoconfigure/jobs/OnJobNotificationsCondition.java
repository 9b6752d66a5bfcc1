package dev.quark.autoconfigure.jobs;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code quark.jobs.postgres.notify-enabled} is true (it is on by default); a value that is not a boolean fails, naming the
 * property.
 */
class OnJobNotificationsCondition extends SpringBootCondition {

    static final String PROPERTY = QuarkJobsProperties.PREFIX + ".postgres.notify-enabled";

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        boolean enabled = Binder.get(context.getEnvironment()).bind(PROPERTY, Boolean.class).orElse(true);
        return enabled ? ConditionOutcome.match(PROPERTY + " is true or not set")
                : ConditionOutcome.noMatch(PROPERTY + " is false: other nodes' enqueues wake no worker here");
    }
}
