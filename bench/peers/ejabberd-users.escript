#!/usr/bin/env escript
%% Registers user1..userN (password pass<i>) on a running ejabberd node, the way
%% `ejabberdctl register` does (ejabberd_auth:try_register/3, so the server derives and
%% stores the SCRAM keys), from W processes in parallel over one distribution connection.
%% Run by bench/peers/ejabberd.sh users N, which sets ERL_FLAGS for the node name, the
%% distribution port and the cookie's home.
%% Usage: escript ejabberd-users.escript Node Domain N W
-mode(compile).

main([NodeS, DomainS, NS, WS]) ->
    Node = list_to_atom(NodeS),
    Domain = list_to_binary(DomainS),
    N = list_to_integer(NS),
    W = list_to_integer(WS),
    case net_adm:ping(Node) of
        pong -> ok;
        pang -> io:format(standard_error, "cannot reach ~s~n", [Node]), halt(1)
    end,
    Parent = self(),
    Pids = [spawn_link(fun() -> Parent ! {done, self(), register_range(Node, Domain, K, N, W)} end)
            || K <- lists:seq(1, W)],
    {Ok, Exists, Failed} =
        lists:foldl(fun(Pid, {A, B, C}) ->
                            receive {done, Pid, {X, Y, Z}} -> {A + X, B + Y, C + Z} end
                    end, {0, 0, 0}, Pids),
    io:format("created=~b existing=~b failed=~b~n", [Ok, Exists, Failed]),
    halt(case Failed of 0 -> 0; _ -> 1 end);
main(_) ->
    io:format(standard_error, "usage: ejabberd-users.escript Node Domain N Workers~n", []),
    halt(2).

register_range(Node, Domain, K, N, W) ->
    lists:foldl(
      fun(I, {Ok, Exists, Failed}) ->
              S = integer_to_binary(I),
              User = <<"user", S/binary>>,
              Pass = <<"pass", S/binary>>,
              case rpc:call(Node, ejabberd_auth, try_register, [User, Domain, Pass]) of
                  ok -> {Ok + 1, Exists, Failed};
                  {error, exists} -> {Ok, Exists + 1, Failed};
                  Other ->
                      io:format(standard_error, "~s: ~p~n", [User, Other]),
                      {Ok, Exists, Failed + 1}
              end
      end, {0, 0, 0}, lists:seq(K, N, W)).
