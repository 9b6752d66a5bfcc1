package dev.quark.samples.cluster;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.cluster.transport.RemoteActorException;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * What a caller of the HTTP API sees when a call could not reach its account: while a silo is down and not yet
 * declared dead, calls to the accounts it hosted fail fast with an {@link ActorUnreachableException}
 * (503, try again: once the silo is declared dead the accounts activate on the survivors), and a call that ran
 * out of time with an {@link ActorCallTimeoutException} (504). The problem's {@code exception} property names
 * the Quark exception, so a client can tell these apart. A call that failed may or may not have been carried
 * out (the silo may have died after it ran the call, before it answered); a deposit is not idempotent, so
 * check the balance before you repeat one.
 * <p>
 * A failure another silo could not send as its own type (a type outside
 * {@code quark.cluster.transport.allowed-exception-packages}, or without a {@code (String message)}
 * constructor) arrives as a {@link RemoteActorException}: 500, naming the original type. The bank's own
 * handlers (insufficient funds, a conflict, the store unavailable) are more specific and keep answering those.
 */
@RestControllerAdvice
class ClusterErrors {

    @ExceptionHandler
    ProblemDetail unreachable(ActorUnreachableException ex) {
        return problem(HttpStatus.SERVICE_UNAVAILABLE, ex);
    }

    @ExceptionHandler
    ProblemDetail timedOut(ActorCallTimeoutException ex) {
        return problem(HttpStatus.GATEWAY_TIMEOUT, ex);
    }

    @ExceptionHandler
    ProblemDetail otherActorFailure(ActorException ex) {
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, ex);
    }

    @ExceptionHandler
    ProblemDetail remoteFailure(RemoteActorException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                String.valueOf(ex.getMessage()));
        problem.setProperty("exception", ex.remoteType());
        return problem;
    }

    private static ProblemDetail problem(HttpStatus status, Exception ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, String.valueOf(ex.getMessage()));
        problem.setProperty("exception", ex.getClass().getName());
        return problem;
    }
}
